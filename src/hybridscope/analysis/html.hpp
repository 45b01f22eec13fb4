#pragma once
// Self-contained HTML pages: one file with its CSS, JavaScript and inline SVG, no network access (a
// Content-Security-Policy forbids any), that a user can open offline and send on.
//  - report_html: one run's summary, POP metrics, warnings, a sortable per-thread table and an
//    activity timeline that zooms (wheel, drag) and names the interval under the mouse. The
//    timeline is kept per zoom level as pixel columns (analysis/columns.hpp), so that the page stays
//    within its byte budget however many intervals the run had.
//  - index_html: the page of a study or advice folder: conclusions, charts, table, links to the runs.
#include <cstddef>
#include <string>
#include <vector>

#include "hybridscope/analysis/report.hpp"
#include "hybridscope/timeline/reader.hpp"

namespace hybridscope::analysis {

struct HtmlOptions {
  // Bytes of timeline data (before base64): all intervals when they fit, else as many zoom levels
  // as fit, the coarsest always.
  std::size_t timeline_budget = 3'000'000;
};

// Needs the intervals with their items.
std::string report_html(const timeline::Timeline& timeline, const Report& report, const HtmlOptions& options = {});

struct IndexRun {
  std::string name;                                        // e.g. "gil-1x4"
  std::string about;                                       // one line: layout, wall time
  std::vector<std::pair<std::string, std::string>> links;  // label, path relative to the page
};

struct IndexPage {
  std::string title;
  std::vector<std::string> conclusions;
  std::string charts_svg;  // compare_svg, inline
  std::string table;       // the comparison as text
  std::vector<IndexRun> runs;
};

std::string index_html(const IndexPage& page);

}  // namespace hybridscope::analysis
