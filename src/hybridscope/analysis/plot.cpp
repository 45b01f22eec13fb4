#include "hybridscope/analysis/plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "hybridscope/analysis/chart.hpp"
#include "hybridscope/analysis/columns.hpp"
#include "hybridscope/core/error.hpp"

namespace hybridscope::analysis {

namespace {

constexpr double kLeft = 130, kRight = 50, kLane = 12, kGap = 2, kPanel = 90;
constexpr double kBelowAxis = 44;  // tick labels and the axis title under a panel
constexpr std::size_t kKinds = trace::kActivityCount;
constexpr auto kBusyColour = "#2ca02c";

// Each pixel takes the kind that filled most of it; runs of one kind become one rectangle.
std::string lane_rects(const std::vector<Column>& cols, double y) {
  // data-series: the kind, so that the picture tests can match the lanes against the legend.
  std::string out;
  int run_start = 0, run_kind = -1;
  const auto flush = [&](int end) {
    if (run_kind >= 0)
      out += fmt::format("<rect data-series=\"{}\" x=\"{:.0f}\" y=\"{:.0f}\" width=\"{}\" height=\"{:.0f}\" "
                         "fill=\"{}\"/>", trace::kActivityNames[run_kind], kLeft + run_start, y, end - run_start, kLane,
                         chart::colour(trace::Activity(run_kind)));
  };
  for (int col = 0; col < int(cols.size()); ++col)
    if (cols[col].kind != run_kind) {
      flush(col);
      run_start = col;
      run_kind = cols[col].kind;
    }
  flush(int(cols.size()));
  return out;
}

// The lanes in the order drawn: across nodes grouped by node (in the order of their lowest rank),
// rank by rank within a node; `host` empty when the run had one node.
struct DrawnLane {
  timeline::Lane lane;
  std::string host;
};

std::vector<DrawnLane> lanes_by_node(const timeline::Timeline& t) {
  std::map<int, std::string> host_of;
  std::vector<std::string> nodes;
  for (const auto& r : t.ranks) {
    host_of[r.rank] = r.host;
    if (std::find(nodes.begin(), nodes.end(), r.host) == nodes.end()) nodes.push_back(r.host);
  }
  std::vector<DrawnLane> out;
  for (const auto& lane : timeline::lanes(t.intervals))
    out.push_back({lane, nodes.size() > 1 ? host_of[lane.rank] : std::string{}});
  const auto node_index = [&](const std::string& h) { return std::find(nodes.begin(), nodes.end(), h) - nodes.begin(); };
  std::stable_sort(out.begin(), out.end(),
                   [&](const auto& a, const auto& b) { return node_index(a.host) < node_index(b.host); });
  return out;
}

// The kinds some pixel shows, in their order.
std::vector<chart::LegendEntry> activity_legend(const std::vector<std::vector<Column>>& lanes) {
  std::vector<bool> shown(kKinds, false);
  for (const auto& lane : lanes)
    for (const auto& column : lane)
      if (column.kind >= 0) shown[std::size_t(column.kind)] = true;
  std::vector<chart::LegendEntry> out;
  for (std::size_t k = 0; k < kKinds; ++k)
    if (shown[k]) out.push_back({trace::kActivityNames[k], std::string(chart::colour(trace::Activity(k)))});
  return out;
}

Window window_of(const timeline::Timeline& t, const PlotOptions& o) {
  const auto wall_ns = std::int64_t(std::llround(t.summary.wall_seconds * 1e9));
  Window w;
  w.begin = o.from_s ? std::int64_t(std::llround(*o.from_s * 1e9)) : 0;
  w.end = o.to_s ? std::int64_t(std::llround(*o.to_s * 1e9)) : std::max<std::int64_t>(wall_ns, 1);
  if (w.end <= w.begin)
    throw InputError(fmt::format("plot window [{}, {}] s is empty (accepted: --from < --to, within "
                                 "0-{:.6f} s)", w.begin * 1e-9, w.end * 1e-9, t.summary.wall_seconds));
  if (o.width < 100 || o.width > 20000)
    throw InputError(fmt::format("--width {} (accepted: 100-20000 pixels)", o.width));
  w.columns = o.width;
  return w;
}

chart::Scale time_scale(const Window& w) { return {w.begin * 1e-9, w.end * 1e-9, kLeft, kLeft + w.columns}; }

struct Lanes {
  std::string svg;
  double bottom = 0;
  std::vector<double> busy_ns;  // per column, summed over lanes
};

// The activity lanes: a heading per node (several nodes), a label per rank, a lane per thread.
Lanes lanes_svg(const std::vector<DrawnLane>& lanes, const std::vector<std::vector<Column>>& columns, const Window& w,
                const std::string& legend, double top) {
  Lanes out;
  out.busy_ns.assign(std::size_t(w.columns), 0);
  out.svg = "<g class=\"chart\" data-chart=\"lanes\">" + legend;
  out.svg += chart::text(4, top - 6, "rank", "font-weight=\"bold\"") +
             chart::text(kLeft - 6, top - 6, "thread", "text-anchor=\"end\" font-weight=\"bold\"");
  double y = top;
  for (std::size_t l = 0; l < lanes.size(); ++l) {
    const auto& [lane, host] = lanes[l];
    const bool new_node = !host.empty() && (l == 0 || host != lanes[l - 1].host);
    const bool new_rank = new_node || l == 0 || lane.rank != lanes[l - 1].lane.rank;
    if (new_node) {
      if (l > 0) out.svg += "</g>\n";
      out.svg += fmt::format("<g class=\"node\" data-host=\"{}\">", chart::escape(host));
      out.svg += chart::text(4, y + kLane - 2, "node " + host, "font-weight=\"bold\"");
      out.svg += fmt::format("<line x1=\"4\" y1=\"{0:.0f}\" x2=\"{1}\" y2=\"{0:.0f}\" stroke=\"#999\"/>\n",
                             y + kLane + 1, kLeft + w.columns);
      y += kLane + kGap;
    }
    if (new_rank && l > 0 && !new_node)
      out.svg += fmt::format("<line x1=\"4\" y1=\"{0:.1f}\" x2=\"{1}\" y2=\"{0:.1f}\" stroke=\"#ccc\"/>", y - kGap / 2,
                             kLeft + w.columns);
    const auto& cols = columns[l];
    for (std::size_t col = 0; col < cols.size(); ++col) out.busy_ns[col] += cols[col].busy_ns;
    out.svg += fmt::format("<g class=\"lane\" data-rank=\"{}\" data-thread=\"{}\">", lane.rank, lane.thread);
    if (new_rank) out.svg += chart::text(4, y + kLane - 2, fmt::format("{}", lane.rank));
    out.svg += chart::text(kLeft - 6, y + kLane - 2, fmt::format("{}", lane.thread), "text-anchor=\"end\"");
    out.svg += "<g class=\"plot-area\">" + lane_rects(cols, y) + "</g></g>\n";
    y += kLane + kGap;
  }
  if (!lanes.empty() && !lanes.back().host.empty()) out.svg += "</g>\n";
  const auto scale = time_scale(w);
  out.svg += chart::x_axis(scale, y + 2, chart::time_ticks(scale.lo, scale.hi, w.columns), "time since the run's start");
  out.svg += "</g>\n";
  out.bottom = y + 2 + kBelowAxis;
  return out;
}

// A panel's title and one-entry legend, above its plot area at `top`.
std::string panel_head(std::string_view title, std::string_view series, std::string_view colour,
                       chart::LegendEntry::Mark mark, double top) {
  double ignored = 0;
  return chart::text(kLeft, top - 34, title, "font-weight=\"bold\"") +
         chart::legend(kLeft + chart::text_width(title, chart::kFontSize, true) + 20, top - 45, 400,
                       {{std::string(series), std::string(colour), mark}}, ignored);
}

// Utilisation: the share of all lanes' time in each column spent in items.
std::string utilisation_svg(const Window& w, const std::vector<double>& busy_ns, std::size_t lanes, double top) {
  std::string out = "<g class=\"chart\" data-chart=\"utilisation\">";
  out += panel_head("utilisation", "share of the lanes in items", kBusyColour, chart::LegendEntry::Mark::line, top);
  const chart::Scale y{0, 1, top + kPanel, top};
  out += chart::y_axis(y, kLeft, chart::linear_ticks(0, 1, kPanel, chart::percent_label), "busy", w.columns);
  const auto x = time_scale(w);
  out += chart::x_axis(x, top + kPanel, chart::time_ticks(x.lo, x.hi, w.columns), "time since the run's start");
  std::string points;
  const double all = std::max<double>(1, double(lanes)) * w.column_ns();
  for (int col = 0; col < w.columns; ++col)
    points += fmt::format("{:.0f},{:.1f} ", kLeft + col + 0.5, y(std::clamp(busy_ns[std::size_t(col)] / all, 0.0, 1.0)));
  out += fmt::format("<g class=\"plot-area\"><polyline class=\"utilisation\" data-series=\"share of the lanes in items\" "
                     "fill=\"none\" stroke=\"{}\" points=\"{}\"/></g></g>\n", kBusyColour, points);
  return out;
}

// Items per thread: the "calls per thread" histogram of the GIL experiment.
std::string items_svg(const timeline::Timeline& t, const Window& w, double top) {
  std::string out = "<g class=\"chart\" data-chart=\"items\">";
  out += panel_head("items per thread", "items done", kBusyColour, chart::LegendEntry::Mark::box, top);
  std::uint64_t most = 4;  // at least 0-4 on the axis, so that its ticks are whole items
  for (const auto& row : t.threads) most = std::max(most, row.times.items);
  const chart::Scale y{0, double(most), top + kPanel, top};
  const double slot = std::min(40.0, double(w.columns) / std::max<double>(1, double(t.threads.size())));
  out += chart::y_axis(y, kLeft, chart::linear_ticks(0, double(most), kPanel, chart::number_label), "items",
                       slot * double(t.threads.size()));
  std::vector<std::string> labels;
  out += "<g class=\"plot-area\">";
  for (std::size_t i = 0; i < t.threads.size(); ++i) {
    const auto& row = t.threads[i].times;
    labels.push_back(fmt::format("{}.{}", row.rank, row.thread));
    const double h = y.from - y(double(row.items));
    out += fmt::format("<rect class=\"items\" data-series=\"items done\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
                       "height=\"{:.1f}\" fill=\"{}\"><title>rank {} thread {}: {} items</title></rect>",
                       kLeft + double(i) * slot + 1, y.from - h, slot - 2, h, kBusyColour, row.rank, row.thread,
                       row.items);
  }
  out += "</g>" + chart::category_axis(kLeft, slot, top + kPanel, labels, "rank.thread") + "</g>\n";
  return out;
}

}  // namespace

std::string plot_svg(const timeline::Timeline& t, const PlotOptions& o) {
  const Window w = window_of(t, o);
  const double width = kLeft + w.columns + kRight;
  const auto drawn = lanes_by_node(t);
  std::vector<std::vector<Column>> columns;
  for (const auto& d : drawn) columns.push_back(lane_columns(t.intervals, d.lane, w));
  double legend_h = 0;
  const auto legend = chart::legend(kLeft, 28, w.columns, activity_legend(columns), legend_h);
  const auto lanes = lanes_svg(drawn, columns, w, legend, 28 + legend_h + 20);
  const double util_top = lanes.bottom + 56, items_top = util_top + kPanel + kBelowAxis + 56;
  const double height = items_top + kPanel + kBelowAxis + 10;

  std::string out = chart::open_svg(width, height, fmt::format("hybridscope: {}", t.path));
  const auto title = fmt::format("{} — {} rank{} x {} thread{}, {}, {}, wall {:.3f} s{}", t.path, t.facts.layout.ranks,
                                 t.facts.layout.ranks == 1 ? "" : "s", t.facts.layout.threads,
                                 t.facts.layout.threads == 1 ? "" : "s", t.facts.workload_description, t.facts.strategy,
                                 t.summary.wall_seconds, t.summary.complete ? "" : " (incomplete)");
  out += chart::text(4, 18, chart::shorten(title, width - 8, 13, true), "font-size=\"13\" font-weight=\"bold\"");
  out += lanes.svg;
  out += utilisation_svg(w, lanes.busy_ns, drawn.size(), util_top);
  out += items_svg(t, w, items_top);
  out += "</svg>\n";
  return out;
}

}  // namespace hybridscope::analysis
