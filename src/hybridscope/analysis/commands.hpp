#pragma once
// The post-processing commands (report, plot, compare, export): one process, no MPI. Each reads its
// timelines, writes its file without replacing one that exists, and prints what it did.
#include <string>
#include <vector>

#include "hybridscope/analysis/export.hpp"
#include "hybridscope/analysis/plot.hpp"

namespace hybridscope::analysis {

struct PostArgs {
  std::vector<std::string> files;
  std::string output;  // plot and export: default beside the first file; compare: none, no chart
  bool json = false;   // report
  bool html = false;   // report: a self-contained HTML page instead of text (default output beside the file)
  bool force = false;  // report --html: replace the output if it exists
  PlotOptions plot;
  std::string format;  // export: perfetto or otf2
  ExportOptions exported;
};

// Each throws Error (InputError for a bad file or option) with one line that says why.
void report_command(const PostArgs& args);
void plot_command(const PostArgs& args);
void compare_command(const PostArgs& args);
void export_command(const PostArgs& args);

}  // namespace hybridscope::analysis
