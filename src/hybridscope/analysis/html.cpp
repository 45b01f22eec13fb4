#include "hybridscope/analysis/html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "hybridscope/analysis/chart.hpp"
#include "hybridscope/analysis/columns.hpp"
#include "hybridscope/analysis/html_assets.hpp"
#include "hybridscope/report/summary.hpp"

namespace hybridscope::analysis {

namespace {

constexpr std::uint32_t kNone = 0xffffffff;
// Bytes per interval in the page's table (begin, end, item as doubles, core, kind) and per segment.
constexpr std::size_t kIntervalBytes = 8 + 8 + 8 + 2 + 1;
constexpr std::size_t kSegmentBytes = 4 + 4;
// Columns of the coarsest level: 2048, fewer when many lanes would not fit the budget (1024 lanes:
// 64, still within 5 MB). The finest level has at most kMostColumns, which bounds the memory a level
// takes to make (lane_columns tallies every kind per column).
constexpr int kFirstColumns = 2048, kFewestColumns = 64, kMostColumns = 1 << 18;

std::string base64(const void* data, std::size_t size) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (std::size_t i = 0; i < size; i += 3) {
    const unsigned v = p[i] << 16 | (i + 1 < size ? p[i + 1] << 8 : 0) | (i + 2 < size ? p[i + 2] : 0);
    out += kDigits[v >> 18 & 63];
    out += kDigits[v >> 12 & 63];
    out += i + 1 < size ? kDigits[v >> 6 & 63] : '=';
    out += i + 2 < size ? kDigits[v & 63] : '=';
  }
  return out;
}

template <class T>
std::string base64(const std::vector<T>& values) {
  static_assert(std::endian::native == std::endian::little, "the page reads little-endian typed arrays");
  return base64(values.data(), values.size() * sizeof(T));
}

// The intervals the page refers to, each once.
struct IntervalTable {
  const timeline::Intervals* rows;
  std::unordered_map<std::int64_t, std::uint32_t> index;
  std::vector<double> begin, end, item;
  std::vector<std::int16_t> cpu;
  std::vector<std::uint8_t> kind;

  std::uint32_t add(std::int64_t row) {
    const auto [it, fresh] = index.emplace(row, std::uint32_t(begin.size()));
    if (fresh) {
      const auto& c = *rows;
      begin.push_back(double(c.begin_ns[row]));
      end.push_back(double(c.end_ns[row]));
      item.push_back(c.item.empty() ? -1.0 : double(c.item[row]));
      cpu.push_back(c.cpu[row]);
      kind.push_back(c.kind[row]);
    }
    return it->second;
  }
  nlohmann::json json() const {
    return {{"begin", base64(begin)}, {"end", base64(end)}, {"item", base64(item)}, {"cpu", base64(cpu)},
            {"kind", base64(kind)}};
  }
};

struct Segments {
  std::vector<std::uint32_t> start, ref;  // start: the first column of each segment (aggregated levels)
};

// One zoom level: per lane, runs of columns that show the same interval; columns 0: every interval.
struct Level {
  int columns = 0;
  std::vector<Segments> lanes;
  std::size_t bytes = 0;  // segments and the intervals it added to the table
};

Level exact_level(const std::vector<timeline::Lane>& lanes, const Window& w, IntervalTable& table) {
  Level level;
  const auto before = table.begin.size();
  for (const auto& lane : lanes) {
    Segments s;
    for (std::size_t i = lane.first; i < lane.last; ++i)
      if (table.rows->end_ns[i] > w.begin && table.rows->begin_ns[i] < w.end) s.ref.push_back(table.add(std::int64_t(i)));
    level.bytes += s.ref.size() * 4;
    level.lanes.push_back(std::move(s));
  }
  level.bytes += (table.begin.size() - before) * kIntervalBytes;
  return level;
}

Level column_level(const std::vector<timeline::Lane>& lanes, Window w, int columns, IntervalTable& table) {
  Level level;
  level.columns = w.columns = columns;
  const auto before = table.begin.size();
  for (const auto& lane : lanes) {
    Segments s;
    std::int64_t previous = -2;
    const auto cols = lane_columns(*table.rows, lane, w);
    for (std::size_t col = 0; col < cols.size(); ++col) {
      if (cols[col].row == previous) continue;
      previous = cols[col].row;
      s.start.push_back(std::uint32_t(col));
      s.ref.push_back(previous < 0 ? kNone : table.add(previous));
    }
    level.bytes += s.ref.size() * kSegmentBytes;
    level.lanes.push_back(std::move(s));
  }
  level.bytes += (table.begin.size() - before) * kIntervalBytes;
  return level;
}

std::size_t segments(const Level& level) {
  std::size_t n = 0;
  for (const auto& s : level.lanes) n += s.ref.size();
  return n;
}

// Every interval when they fit the budget; else levels of 2048, 4096, ... columns (fewer for many
// lanes) while the next fits and shows more (once every interval has segments of its own, more
// columns show nothing new).
std::vector<Level> levels_of(const timeline::Timeline& t, const Window& w, std::size_t budget, IntervalTable& table) {
  const auto lanes = timeline::lanes(t.intervals);
  if (t.intervals.size() * (kIntervalBytes + 4) <= budget) return {exact_level(lanes, w, table)};
  const std::size_t per_lane = budget / (kIntervalBytes + kSegmentBytes) / std::max<std::size_t>(1, lanes.size());
  const int first = std::clamp(int(std::bit_floor(std::max<std::size_t>(1, per_lane))), kFewestColumns, kFirstColumns);
  std::vector<Level> out;
  std::size_t used = 0;
  for (int columns = first; columns <= kMostColumns && double(w.end - w.begin) / columns >= 1; columns *= 2) {
    IntervalTable trial = table;  // a level that does not fit leaves the table as it was
    auto level = column_level(lanes, w, columns, trial);
    if (!out.empty() && (used + level.bytes > budget || segments(level) == segments(out.back()))) break;
    used += level.bytes;
    table = std::move(trial);
    out.push_back(std::move(level));
  }
  return out;
}

nlohmann::json timeline_json(const timeline::Timeline& t, const HtmlOptions& o) {
  Window w;
  w.end = std::max<std::int64_t>(1, std::llround(t.summary.wall_seconds * 1e9));
  for (std::size_t i = 0; i < t.intervals.size(); ++i) w.end = std::max(w.end, t.intervals.end_ns[i]);
  IntervalTable table{&t.intervals, {}, {}, {}, {}, {}, {}};
  const auto levels = levels_of(t, w, o.timeline_budget, table);
  std::map<int, std::string> host_of;
  for (const auto& r : t.ranks) host_of[r.rank] = r.host;
  nlohmann::json lanes = nlohmann::json::array(), kinds = nlohmann::json::array(), colours = nlohmann::json::array();
  for (const auto& lane : timeline::lanes(t.intervals))
    lanes.push_back({{"rank", lane.rank}, {"thread", lane.thread}, {"host", host_of[lane.rank]}});
  for (std::size_t k = 0; k < trace::kActivityCount; ++k) {
    kinds.push_back(trace::kActivityNames[k]);
    colours.push_back(chart::colour(trace::Activity(k)));
  }
  nlohmann::json shown = nlohmann::json::array();
  for (std::size_t k = 0; k < trace::kActivityCount; ++k)
    if (std::find(table.kind.begin(), table.kind.end(), std::uint8_t(k)) != table.kind.end()) shown.push_back(k);
  nlohmann::json out_levels = nlohmann::json::array();
  for (const auto& level : levels) {
    nlohmann::json per_lane = nlohmann::json::array();
    for (const auto& s : level.lanes)
      per_lane.push_back({{"start", base64(s.start)}, {"ref", base64(s.ref)}});
    out_levels.push_back({{"columns", level.columns}, {"lanes", per_lane}});
  }
  return {{"begin", w.begin}, {"end", w.end}, {"lanes", lanes}, {"kinds", kinds}, {"colours", colours},
          {"intervals", table.json()}, {"levels", out_levels}, {"file_intervals", t.intervals.size()},
          {"shown_kinds", shown}};
}

std::string page(std::string_view title, std::string_view body, std::string_view script) {
  return fmt::format("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                     "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
                     "<title>{}</title>\n<style>{}</style></head>\n<body>\n{}\n<script>{}</script>\n</body></html>\n",
                     chart::escape(title), html_assets::kStyle, body, script);
}

std::string efficiency_row(std::string_view name, const metrics::Efficiency& e) {
  return fmt::format("<tr><th>{}</th><td>{:.3f}</td><td>{:.3f}</td><td>{:.3f}</td></tr>", name, e.load_balance,
                     e.communication, e.parallel);
}

std::string metrics_html(const Report& r) {
  const auto& e = r.efficiency;
  std::string out = "<h2>POP metrics</h2><table class=\"metrics\"><tr><th></th><th>load balance</th>"
                    "<th>communication</th><th>parallel efficiency</th></tr>";
  out += efficiency_row("all workers", e.overall) + efficiency_row("MPI (between ranks)", e.mpi) +
         efficiency_row("OpenMP (within ranks)", e.openmp);
  out += fmt::format("</table><p>Additive form: MPI {:.3f} + OpenMP {:.3f} − 1. ", e.additive.mpi.parallel,
                     e.additive.openmp.parallel);
  if (r.cpu_share >= 0) out += fmt::format("On a CPU {:.1f}% of the time in items. ", 100 * r.cpu_share);
  return out + "docs/metrics.md defines every number.</p>\n";
}

std::string warnings_html(const Report& r) {
  if (r.warnings.empty()) return "<h2>Warnings</h2><p>None.</p>\n";
  std::string out = "<h2>Warnings</h2><ul class=\"warnings\">";
  for (const auto& w : r.warnings) out += "<li>" + chart::escape(w) + "</li>";
  return out + "</ul>\n";
}

std::string threads_html(const Report& r) {
  using A = trace::Activity;
  std::string out =
      "<h2>Threads</h2><p class=\"hint\">Click a column to sort.</p><table id=\"threads\" class=\"sortable\"><thead><tr>"
      "<th>rank</th><th>thread</th><th data-text>host</th><th>items</th><th>busy %</th><th>on a CPU %</th>"
      "<th>idle %</th><th>lock %</th><th>hand-out %</th><th>MPI %</th><th>other %</th><th data-text>cores</th>"
      "<th>migrations</th></tr></thead><tbody>";
  for (const auto& t : r.threads) {
    const auto pct = [&](std::initializer_list<A> kinds) {
      double s = 0;
      for (auto k : kinds) s += t.share[std::size_t(k)];
      return fmt::format("{:.1f}", 100 * s);
    };
    std::string cores;
    for (int c : t.cores) cores += fmt::format("{}{}", cores.empty() ? "" : ",", c);
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                       "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                       t.rank, t.thread, chart::escape(t.host), t.items, pct({A::work, A::io}),
                       t.cpu_share < 0 ? "-" : fmt::format("{:.1f}", 100 * t.cpu_share), pct({A::idle}),
                       pct({A::lock_wait}), pct({A::handout}), pct({A::mpi}), pct({A::startup, A::shutdown, A::abandoned}),
                       cores.empty() ? "-" : cores, t.migrations);
  }
  return out + "</tbody></table>\n";
}

std::string timeline_html(const nlohmann::json& data) {
  std::string legend;  // the kinds the page can show
  for (const auto& k : data.at("shown_kinds"))
    legend += fmt::format("<span class=\"key\"><i style=\"background:{}\"></i>{}</span>",
                          chart::colour(trace::Activity(k.get<int>())), trace::kActivityNames[k.get<int>()]);
  // A "</" in the data (a host name, say) would end the script element: "<\/" is the same JSON string.
  // Text that is not UTF-8 (a damaged host name) is replaced, not refused.
  std::string json = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (std::size_t at = 0; (at = json.find("</", at)) != std::string::npos; at += 3) json.replace(at, 2, "<\\/");
  return fmt::format("<h2>Timeline</h2><p class=\"hint\">Wheel: zoom at the mouse · drag: move · double-click: "
                     "everything · hover: the interval</p><div class=\"legend\">{}</div>"
                     "<div id=\"timeline\"><svg id=\"lane-labels\"></svg><div id=\"lanes-box\"><canvas id=\"lanes\">"
                     "</canvas><svg id=\"time-axis\"></svg></div><div id=\"tip\" hidden></div></div>"
                     "<p id=\"detail\" class=\"hint\"></p>\n"
                     "<script type=\"application/json\" id=\"timeline-data\">{}</script>\n",
                     legend, json);
}

}  // namespace

std::string report_html(const timeline::Timeline& t, const Report& r, const HtmlOptions& o) {
  std::string body = fmt::format("<h1>hybridscope report: {}</h1>\n<h2>Summary</h2><pre>{}</pre>\n", chart::escape(r.path),
                                 chart::escape(report::format_summary(fmt::format("run        {}{}", r.path,
                                                                           r.summary.complete ? "" : "  (INCOMPLETE)"),
                                                               r.facts, r.summary, r.thread_times, r.hosts)));
  body += metrics_html(r) + warnings_html(r) + timeline_html(timeline_json(t, o)) + threads_html(r);
  body += "<details><summary>The report as text</summary><pre>" + chart::escape(to_text(r)) + "</pre></details>\n";
  return page("hybridscope report: " + r.path, body, std::string(html_assets::kTableScript) + html_assets::kTimelineScript);
}

std::string index_html(const IndexPage& p) {
  std::string body = fmt::format("<h1>{}</h1>\n<ul class=\"conclusions\">", chart::escape(p.title));
  for (const auto& line : p.conclusions) body += "<li>" + chart::escape(line) + "</li>";
  body += "</ul>\n<h2>Charts</h2><div class=\"charts\">" + p.charts_svg + "</div>\n";
  body += "<h2>Wall time</h2><pre>" + chart::escape(p.table) + "</pre>\n<h2>Runs</h2><table class=\"runs\">";
  for (const auto& run : p.runs) {
    body += fmt::format("<tr><th>{}</th><td>{}</td><td>", chart::escape(run.name), chart::escape(run.about));
    for (const auto& [label, path] : run.links)
      body += fmt::format("<a href=\"{}\">{}</a> ", chart::escape(path), chart::escape(label));
    body += "</td></tr>";
  }
  return page(p.title, body + "</table>\n", html_assets::kTableScript);
}

}  // namespace hybridscope::analysis
