#include "hybridscope/analysis/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <tuple>
#include <map>
#include <set>

#include "hybridscope/analysis/chart.hpp"

namespace hybridscope::analysis {

namespace {

std::string label(const Report& r) {
  return fmt::format("{}x{} {}", r.facts.layout.ranks, r.facts.layout.threads, kind(r.facts.layout));
}

// The runs of one workload, in the order of their rows: by layout kind, then workers, then ranks.
struct Group {
  std::string workload;
  std::vector<const Report*> runs;
  std::vector<std::string> labels;  // one per run, distinct
};

int kind_order(const Report* r) {
  const auto k = kind(r->facts.layout);
  return int(std::find(std::begin(chart::kLayoutKinds), std::end(chart::kLayoutKinds), k) -
             std::begin(chart::kLayoutKinds));
}

std::string stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

// "1x4", with the strategy when the runs differ in it, and with the file's name when still ambiguous.
std::vector<std::string> row_labels(const std::vector<const Report*>& runs) {
  std::set<std::string> strategies;
  for (const auto* r : runs) strategies.insert(r->facts.strategy);
  std::vector<std::string> out;
  for (const auto* r : runs)
    out.push_back(fmt::format("{}x{}{}", r->facts.layout.ranks, r->facts.layout.threads,
                              strategies.size() > 1 ? " " + r->facts.strategy : ""));
  const auto plain = out;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (std::count(plain.begin(), plain.end(), plain[i]) > 1) out[i] += " " + stem(runs[i]->path);
  return out;
}

std::vector<Group> groups_of(const std::vector<Report>& runs) {
  std::vector<Group> out;
  for (const auto& r : runs) {
    auto it = std::find_if(out.begin(), out.end(), [&](const Group& g) { return g.workload == r.facts.workload_description; });
    if (it == out.end()) it = out.insert(out.end(), Group{r.facts.workload_description, {}, {}});
    it->runs.push_back(&r);
  }
  for (auto& g : out) {
    std::stable_sort(g.runs.begin(), g.runs.end(), [](const Report* a, const Report* b) {
      return std::tuple(kind_order(a), a->facts.layout.workers(), a->facts.layout.ranks) <
             std::tuple(kind_order(b), b->facts.layout.workers(), b->facts.layout.ranks);
    });
    g.labels = row_labels(g.runs);
  }
  return out;
}

std::vector<std::string> kinds_in(const std::vector<const Report*>& runs) {
  std::vector<std::string> out;
  for (auto k : chart::kLayoutKinds)
    if (std::any_of(runs.begin(), runs.end(), [&](const Report* r) { return kind(r->facts.layout) == k; }))
      out.emplace_back(k);
  return out;
}

std::vector<chart::LegendEntry> kind_entries(const std::vector<std::string>& kinds, chart::LegendEntry::Mark mark) {
  std::vector<chart::LegendEntry> out;
  for (const auto& k : kinds) out.push_back({k, std::string(chart::layout_colour(k)), mark});
  return out;
}

constexpr double kMargin = 20, kRow = 18, kBar = 12, kSpeedupW = 300, kSpeedupH = 220, kWallW = 220, kEffW = 200;
constexpr double kYLabels = 50;         // room left of a plot area for the y tick labels
constexpr double kBelowAxis = 44;       // x tick labels and axis title
constexpr double kLabelsMax = 200;      // the widest row label; longer ones are shortened
constexpr const char* kLostRest = "lost: the rest";
constexpr const char* kLostBalance = "lost: load imbalance";
constexpr const char* kRestColour = "#bdbdbd";
constexpr const char* kBalanceColour = "#e6e6e6";

// The run with the fewest workers (the fastest of them): the reference of the speedups.
const Report* reference(const std::vector<const Report*>& runs) {
  return *std::min_element(runs.begin(), runs.end(), [](const Report* a, const Report* b) {
    return std::pair(a->facts.layout.workers(), a->summary.wall_seconds) <
           std::pair(b->facts.layout.workers(), b->summary.wall_seconds);
  });
}

double speedup(const Report* r, const Report* base) {
  return r->summary.wall_seconds > 0 ? base->summary.wall_seconds / r->summary.wall_seconds : 0;
}

// A chart's frame: its title and legend above the plot area, whose top is `top`.
struct Frame {
  double x, y, width;  // the chart's top left corner and width
  std::string title;
  std::vector<chart::LegendEntry> legend;
};

double legend_height(const Frame& f) {
  double h = 0;
  chart::legend(0, 0, f.width, f.legend, h);
  return h;
}

std::string frame_svg(const Frame& f) {
  double ignored = 0;
  return chart::text(f.x, f.y + 11, f.title, "font-weight=\"bold\"") + chart::legend(f.x, f.y + 18, f.width, f.legend, ignored);
}

// Speedup against workers, both on log2 axes, with the ideal line and a line per layout kind through
// its fastest run at each worker count.
std::string speedup_chart(const Group& g, const Frame& f, double top) {
  const Report* base = reference(g.runs);
  const int w0 = base->facts.layout.workers();
  int most = w0;
  double low = 1, high = 1;
  for (const auto* r : g.runs) {
    most = std::max(most, r->facts.layout.workers());
    const double s = speedup(r, base);
    if (s > 0) low = std::min(low, s), high = std::max(high, s);
  }
  high = std::max(high, double(most) / w0);
  const chart::Scale x{double(w0), double(most), f.x + kYLabels, f.x + kYLabels + kSpeedupW, true};
  const chart::Scale y{std::exp2(std::floor(std::log2(low))), std::exp2(std::ceil(std::log2(high))), top + kSpeedupH,
                       top, true};
  std::string out = "<g class=\"chart\" data-chart=\"speedup\">" + frame_svg(f);
  out += chart::y_axis(y, x.from, chart::log2_ticks(y.lo, y.hi, kSpeedupH), fmt::format("speedup (x the {}-worker run)", w0),
                       kSpeedupW);
  out += chart::x_axis(x, y.from, chart::log2_ticks(x.lo, x.hi, kSpeedupW), "workers (ranks x threads)");
  out += "<g class=\"plot-area\">";
  out += fmt::format("<line data-series=\"ideal\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#888\" "
                     "stroke-dasharray=\"4 3\"/>\n", x(w0), y(1), x(most), y(double(most) / w0));
  for (const auto& k : kinds_in(g.runs)) {
    const auto c = chart::layout_colour(k);
    std::map<int, double> best{{w0, 1.0}};  // every series starts at the reference
    for (std::size_t i = 0; i < g.runs.size(); ++i) {
      const auto* r = g.runs[i];
      if (kind(r->facts.layout) != k) continue;
      const double s = speedup(r, base);
      auto& b = best[r->facts.layout.workers()];
      b = std::max(b, s);
      out += fmt::format("<circle data-series=\"{}\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\"><title>{}: {:.2f}x"
                         "</title></circle>", k, x(r->facts.layout.workers()), y(std::max(s, y.lo)), c, g.labels[i], s);
    }
    std::string points;
    for (const auto& [workers, s] : best) points += fmt::format("{:.1f},{:.1f} ", x(workers), y(std::max(s, y.lo)));
    out += fmt::format("<polyline class=\"series\" data-series=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
                       "points=\"{}\"/>\n", k, c, points);
  }
  return out + "</g></g>\n";
}

// Row labels right-aligned before `x`, one per run.
std::string row_labels_svg(const Group& g, double x, double top, double width) {
  std::string out;
  for (std::size_t i = 0; i < g.runs.size(); ++i)
    out += chart::text(x - 6, top + kRow * double(i) + kBar, chart::shorten(g.labels[i], width), "text-anchor=\"end\"");
  return out;
}

std::string wall_chart(const Group& g, const Frame& f, double left, double top) {
  double slowest = 0;
  for (const auto* r : g.runs) slowest = std::max(slowest, r->summary.wall_seconds);
  const chart::Scale x{0, slowest > 0 ? slowest : 1, left, left + kWallW};
  const double bottom = top + kRow * double(g.runs.size());
  std::string out = "<g class=\"chart\" data-chart=\"wall\">" + frame_svg(f);
  out += chart::x_axis(x, bottom, chart::time_ticks(x.lo, x.hi, kWallW), "wall time");
  out += "<g class=\"plot-area\">";
  for (std::size_t i = 0; i < g.runs.size(); ++i) {
    const auto* r = g.runs[i];
    const auto k = kind(r->facts.layout);
    const double y = top + kRow * double(i) + 2, w = x(r->summary.wall_seconds) - left;
    out += fmt::format("<rect class=\"bar\" data-series=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" "
                       "fill=\"{}\"><title>{}: {:.3f} s</title></rect>", k, left, y, w, kBar, chart::layout_colour(k),
                       g.labels[i], r->summary.wall_seconds);
    out += chart::text(left + w + 4, y + kBar - 2, fmt::format("{:.3f} s", r->summary.wall_seconds));
  }
  return out + "</g></g>\n";
}

// Parallel efficiency = load balance x the rest, as one bar of 1 per run: the efficiency, what the
// rest (communication, lock waits, start-up) lost, and what imbalance lost.
std::string efficiency_chart(const Group& g, const Frame& f, double left, double top) {
  const chart::Scale x{0, 1, left, left + kEffW};
  const double bottom = top + kRow * double(g.runs.size());
  std::string out = "<g class=\"chart\" data-chart=\"efficiency\">" + frame_svg(f);
  out += chart::x_axis(x, bottom, chart::linear_ticks(0, 1, kEffW, chart::percent_label), "share of the workers' time");
  out += "<g class=\"plot-area\">";
  for (std::size_t i = 0; i < g.runs.size(); ++i) {
    const auto& e = g.runs[i]->efficiency.overall;
    const auto k = kind(g.runs[i]->facts.layout);
    const double balance = std::clamp(e.load_balance, 0.0, 1.0), parallel = std::clamp(e.parallel, 0.0, balance);
    const double y = top + kRow * double(i) + 2;
    const auto segment = [&](double from, double to, std::string_view series, std::string_view colour, std::string_view what) {
      return fmt::format("<rect class=\"bar\" data-series=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" "
                         "fill=\"{}\"><title>{}: {} {:.3f}</title></rect>", series, x(from), y, x(to) - x(from), kBar,
                         colour, g.labels[i], what, to - from);
    };
    out += segment(0, parallel, k, chart::layout_colour(k), "parallel efficiency");
    out += segment(parallel, balance, kLostRest, kRestColour, "lost to the rest");
    out += segment(balance, 1, kLostBalance, kBalanceColour, "lost to load imbalance");
    out += chart::text(x.to + 4, y + kBar - 2, fmt::format("{:.2f}", e.parallel));
  }
  return out + "</g></g>\n";
}

// One row of charts per workload; returns its SVG, adds its height to `y` and widens `width` to it.
std::string group_row(const Group& g, double& y, double& width) {
  std::set<int> workers;
  for (const auto* r : g.runs) workers.insert(r->facts.layout.workers());
  const bool scaling = workers.size() > 1;  // else a speedup chart has a single point
  std::string out = chart::text(kMargin, y + 14, g.workload, "font-size=\"13\" font-weight=\"bold\"");
  const double charts_y = y + 26;
  double labels_w = 0;
  for (const auto& l : g.labels) labels_w = std::max(labels_w, chart::text_width(l));
  labels_w = std::min(labels_w, kLabelsMax);
  const auto kinds = kinds_in(g.runs);
  const double speedup_x = kMargin, labels_x = scaling ? speedup_x + kYLabels + kSpeedupW + 50 : kMargin;
  const double wall_left = labels_x + labels_w + 10, eff_left = wall_left + kWallW + 80;
  auto ideal = kind_entries(kinds, chart::LegendEntry::Mark::line);
  ideal.push_back({"ideal", "#888", chart::LegendEntry::Mark::dashed});
  auto efficiency = kind_entries(kinds, chart::LegendEntry::Mark::box);
  efficiency.push_back({kLostRest, kRestColour});
  efficiency.push_back({kLostBalance, kBalanceColour});
  const Frame speedup_frame{speedup_x, charts_y, kYLabels + kSpeedupW, "speedup against workers", ideal};
  const Frame wall_frame{labels_x, charts_y, wall_left + kWallW - labels_x, "wall time",
                   kind_entries(kinds, chart::LegendEntry::Mark::box)};
  const Frame eff_frame{eff_left, charts_y, kEffW + 40, "parallel efficiency", efficiency};
  double legends = std::max(legend_height(wall_frame), legend_height(eff_frame));
  if (scaling) legends = std::max(legends, legend_height(speedup_frame));
  const double top = charts_y + 18 + legends + 22;
  if (scaling) out += speedup_chart(g, speedup_frame, top);
  out += row_labels_svg(g, wall_left, top, labels_w);
  out += wall_chart(g, wall_frame, wall_left, top);
  out += efficiency_chart(g, eff_frame, eff_left, top);
  const double bars = kRow * double(g.runs.size());
  y = top + std::max(scaling ? kSpeedupH : 0.0, bars) + kBelowAxis + 10;
  width = std::max(width, eff_left + kEffW + 60);
  return out;
}
}  // namespace

std::string compare_table(const std::vector<Report>& runs) {
  std::vector<const Report*> all;
  for (const auto& r : runs) all.push_back(&r);
  const Report& base = *reference(all);
  std::string out = fmt::format("{:<4} {:<24} {:>9} {:>7} {:>10} {:>8} {:>10} {:>6} {:>7} {:>10}  {}\n", "run",
                                "layout", "workers", "wall s", "speedup", "eff.", "load bal.", "MPI", "OpenMP",
                                "items/s", "file");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const auto& e = r.efficiency;
    out += fmt::format("{:<4} {:<24} {:>9} {:>7.3f} {:>9.2f}x {:>8.3f} {:>10.3f} {:>6.3f} {:>7.3f} {:>10.1f}  {}{}\n",
                       i + 1, label(r), r.facts.layout.workers(), r.summary.wall_seconds, speedup(&r, &base), e.overall.parallel,
                       e.overall.load_balance, e.mpi.parallel, e.openmp.parallel, r.items_per_second, r.path,
                       r.summary.complete ? "" : " (incomplete)");
  }
  std::set<std::uint64_t> checksums;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    // A resumed run stands for its whole farm: its chain's totals, and the farm's checksum.
    if (r.chain) {
      const auto& c = *r.chain;
      out += fmt::format("run {} ends a chain of {} runs: {:.3f} s wall in all, {} of {} items succeeded, farm "
                         "checksum {:016x}{}\n", i + 1, c.runs.size(), c.wall_seconds, c.succeeded, c.items,
                         c.checksum, c.missing.empty() ? "" : " (an earlier run is missing: " + c.missing + ")");
      if (c.succeeded == c.items) checksums.insert(c.checksum);
    } else if (r.summary.complete) {
      checksums.insert(r.summary.checksum);
    }
  }
  if (checksums.size() > 1)
    out += "note: the complete runs have different checksums: they ran different inputs\n";
  out += "eff. = MPI x OpenMP (POP's hybrid parallel efficiency, docs/metrics.md)\n";
  out += fmt::format("speedup is against run {} ({} workers)\n",
                     &base - runs.data() + 1, base.facts.layout.workers());
  return out;
}

std::string compare_svg(const std::vector<Report>& runs) {
  double y = 40, width = 0;
  std::string body;
  for (const auto& g : groups_of(runs)) body += group_row(g, y, width);
  std::string out = chart::open_svg(width, y, "hybridscope compare");
  out += chart::text(kMargin, 22, "hybridscope compare: speedup, wall time and efficiency per workload",
                     "font-size=\"14\" font-weight=\"bold\"");
  return out + body + "</svg>\n";
}

}  // namespace hybridscope::analysis
