#include "hybridscope/analysis/plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "hybridscope/analysis/svg.hpp"
#include "hybridscope/core/error.hpp"

namespace hybridscope::analysis {

namespace {

constexpr double kLeft = 120, kRight = 20, kTop = 50, kLane = 12, kGap = 2, kPanel = 90;
constexpr std::size_t kKinds = trace::kActivityCount;

struct Window {
  std::int64_t begin, end;
  double column_ns;
  int columns;
  int column_of(std::int64_t t) const {
    return std::clamp(int(double(t - begin) / column_ns), 0, columns - 1);
  }
};

// Time per kind in each pixel column of one lane.
using Columns = std::vector<std::array<double, kKinds>>;

void accumulate(const timeline::Intervals& c, std::size_t first, std::size_t last, const Window& w, Columns& cols) {
  for (auto& col : cols) col.fill(0);
  for (std::size_t i = first; i < last; ++i) {
    const std::int64_t b = std::max(c.begin_ns[i], w.begin), e = std::min(c.end_ns[i], w.end);
    if (e <= b) continue;
    const int k = c.kind[i];
    for (int col = w.column_of(b); col <= w.column_of(e - 1); ++col) {
      const double col_begin = double(w.begin) + col * w.column_ns;
      const double overlap = std::min(double(e), col_begin + w.column_ns) - std::max(double(b), col_begin);
      if (overlap > 0) cols[col][k] += overlap;
    }
  }
}

// Each pixel takes the kind that filled most of it; runs of one kind become one rectangle.
std::string lane_rects(const Columns& cols, double y) {
  std::string out;
  int run_start = 0, run_kind = -1;
  const auto flush = [&](int end) {
    if (run_kind >= 0)
      out += fmt::format("<rect x=\"{:.0f}\" y=\"{:.0f}\" width=\"{}\" height=\"{:.0f}\" fill=\"{}\"/>",
                         kLeft + run_start, y, end - run_start, kLane,
                         svg::colour(trace::Activity(run_kind)));
  };
  for (int col = 0; col < int(cols.size()); ++col) {
    const auto& t = cols[col];
    const auto best = std::max_element(t.begin(), t.end());
    const int kind = *best > 0 ? int(best - t.begin()) : -1;
    if (kind != run_kind) {
      flush(col);
      run_start = col;
      run_kind = kind;
    }
  }
  flush(int(cols.size()));
  return out;
}

std::string time_axis(const Window& w, double y) {
  std::string out = fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n", kLeft, y,
                                kLeft + w.columns, y);
  const double span = double(w.end - w.begin) * 1e-9;
  const double step = svg::nice_step(span, 8);
  const double first = std::ceil(double(w.begin) * 1e-9 / step) * step;
  for (double t = first; t <= double(w.end) * 1e-9 + 1e-12; t += step) {
    const double x = kLeft + (t * 1e9 - double(w.begin)) / w.column_ns;
    out += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"black\"/>", x, y, y + 4);
    out += svg::text(x, y + 15, svg::seconds_label(t), "text-anchor=\"middle\"");
  }
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

std::string legend(double y) {
  std::string out;
  double x = kLeft;
  for (std::size_t k = 0; k < kKinds; ++k) {
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\" stroke=\"#666\" "
                       "stroke-width=\"0.5\"/>", x, y - 9, svg::colour(trace::Activity(k)));
    out += svg::text(x + 14, y, trace::kActivityNames[k]);
    x += 24 + 7.0 * std::string_view(trace::kActivityNames[k]).size();
  }
  return out;
}

}  // namespace

std::string plot_svg(const timeline::Timeline& t, const PlotOptions& o) {
  const auto& c = t.intervals;
  const auto wall_ns = std::int64_t(std::llround(t.summary.wall_seconds * 1e9));
  Window w{};
  w.begin = o.from_s ? std::int64_t(std::llround(*o.from_s * 1e9)) : 0;
  w.end = o.to_s ? std::int64_t(std::llround(*o.to_s * 1e9)) : std::max<std::int64_t>(wall_ns, 1);
  if (w.end <= w.begin)
    throw InputError(fmt::format("plot window [{}, {}] s is empty (accepted: --from < --to, within "
                                 "0-{:.6f} s)", w.begin * 1e-9, w.end * 1e-9, t.summary.wall_seconds));
  if (o.width < 100 || o.width > 20000)
    throw InputError(fmt::format("--width {} (accepted: 100-20000 pixels)", o.width));
  w.columns = o.width;
  w.column_ns = double(w.end - w.begin) / w.columns;

  const auto lanes = lanes_by_node(t);
  std::size_t rows = lanes.size();  // and a heading row per node
  for (std::size_t l = 0; l < lanes.size(); ++l)
    if (!lanes[l].host.empty() && (l == 0 || lanes[l].host != lanes[l - 1].host)) ++rows;
  const double lanes_bottom = kTop + double(rows) * (kLane + kGap);
  const double util_top = lanes_bottom + 45, items_top = util_top + kPanel + 40;
  const double height = items_top + kPanel + 30;
  const double width = kLeft + w.columns + kRight;

  std::string out = svg::header(width, height, fmt::format("hybridscope: {}", t.path));
  out += svg::text(kLeft, 18, fmt::format("{} — {} rank{} x {} thread{}, {}, {}, wall {:.3f} s{}",
                                          t.path, t.facts.layout.ranks, t.facts.layout.ranks == 1 ? "" : "s",
                                          t.facts.layout.threads, t.facts.layout.threads == 1 ? "" : "s",
                                          t.facts.workload_description, t.facts.strategy, t.summary.wall_seconds,
                                          t.summary.complete ? "" : " (incomplete)"),
                   "font-size=\"13\" font-weight=\"bold\"");
  out += legend(38);

  Columns cols(w.columns);
  std::vector<double> busy(w.columns, 0);
  double y = kTop;
  for (std::size_t l = 0; l < lanes.size(); ++l) {
    const auto& [lane, host] = lanes[l];
    if (!host.empty() && (l == 0 || host != lanes[l - 1].host)) {
      if (l > 0) out += "</g>\n";
      out += fmt::format("<g class=\"node\" data-host=\"{}\">", svg::escape(host));
      out += svg::text(4, y + kLane - 2, host, "font-weight=\"bold\"");
      out += fmt::format("<line x1=\"4\" y1=\"{0:.0f}\" x2=\"{1}\" y2=\"{0:.0f}\" stroke=\"#999\"/>\n", y + kLane + 1,
                         kLeft + w.columns);
      y += kLane + kGap;
    }
    accumulate(c, lane.first, lane.last, w, cols);
    for (int col = 0; col < w.columns; ++col)
      busy[col] += cols[col][std::size_t(trace::Activity::work)] + cols[col][std::size_t(trace::Activity::io)];
    out += fmt::format("<g class=\"lane\" data-rank=\"{}\" data-thread=\"{}\">", lane.rank, lane.thread);
    out += svg::text(kLeft - 6, y + kLane - 2, fmt::format("r{} t{}", lane.rank, lane.thread),
                     "text-anchor=\"end\"");
    out += lane_rects(cols, y);
    out += "</g>\n";
    y += kLane + kGap;
  }
  if (!lanes.empty() && !lanes.back().host.empty()) out += "</g>\n";
  out += time_axis(w, lanes_bottom + 2);

  // Utilisation: the share of all lanes' time in each column spent in items.
  out += svg::text(kLeft, util_top - 8, "utilisation (time in items / all lanes)", "font-weight=\"bold\"");
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n",
                     kLeft, util_top, w.columns, kPanel);
  std::string points;
  const double lane_count = std::max<double>(1, double(lanes.size()));
  for (int col = 0; col < w.columns; ++col) {
    const double share = std::clamp(busy[col] / (lane_count * w.column_ns), 0.0, 1.0);
    points += fmt::format("{:.0f},{:.1f} ", kLeft + col + 0.5, util_top + kPanel * (1 - share));
  }
  out += fmt::format("<polyline class=\"utilisation\" fill=\"none\" stroke=\"{}\" points=\"{}\"/>\n",
                     svg::colour(trace::Activity::work), points);
  out += svg::text(kLeft - 6, util_top + 8, "100%", "text-anchor=\"end\"");
  out += svg::text(kLeft - 6, util_top + kPanel, "0%", "text-anchor=\"end\"");

  // Items per thread: the "calls per thread" histogram of the GIL experiment.
  out += svg::text(kLeft, items_top - 8, "items per thread", "font-weight=\"bold\"");
  std::uint64_t most = 1;
  for (const auto& row : t.threads) most = std::max(most, row.times.items);
  const double bar = std::min(40.0, double(w.columns) / std::max<double>(1, double(t.threads.size())));
  for (std::size_t i = 0; i < t.threads.size(); ++i) {
    const auto& row = t.threads[i];
    const double h = kPanel * double(row.times.items) / double(most);
    const double x = kLeft + double(i) * bar;
    out += fmt::format("<rect class=\"items\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                       "fill=\"{}\"><title>rank {} thread {}: {} items</title></rect>",
                       x + 1, items_top + kPanel - h, bar - 2, h, svg::colour(trace::Activity::work),
                       row.times.rank, row.times.thread, row.times.items);
  }
  out += svg::text(kLeft - 6, items_top + 8, fmt::format("{}", most), "text-anchor=\"end\"");
  out += "\n</svg>\n";
  return out;
}

}  // namespace hybridscope::analysis
