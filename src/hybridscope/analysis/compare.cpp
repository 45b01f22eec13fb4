#include "hybridscope/analysis/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "hybridscope/analysis/svg.hpp"

namespace hybridscope::analysis {

namespace {

// The reference for speedup: the run with the fewest workers (the first of them).
const Report& baseline(const std::vector<Report>& runs) {
  return *std::min_element(runs.begin(), runs.end(), [](const Report& a, const Report& b) {
    return a.facts.layout.workers() < b.facts.layout.workers();
  });
}

std::string label(const Report& r) {
  return fmt::format("{}x{} {}", r.facts.layout.ranks, r.facts.layout.threads, kind(r.facts.layout));
}

constexpr double kLeft = 70, kTop = 40, kChartW = 520, kChartH = 220;
const char* kSeriesColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};

std::string bars(const std::vector<Report>& runs, double top, const std::string& title,
                 double (*value)(const Report&), const std::string& unit) {
  std::string out = svg::text(kLeft, top - 10, title, "font-weight=\"bold\"");
  double most = 0;
  for (const auto& r : runs) most = std::max(most, value(r));
  if (most <= 0) most = 1;
  const double slot = kChartW / double(runs.size());
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"black\"/>"
                     "<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"black\"/>\n",
                     kLeft, top, top + kChartH, kLeft + kChartW);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const double v = value(runs[i]);
    const double h = kChartH * v / most;
    const double x = kLeft + double(i) * slot + slot * 0.15;
    out += fmt::format("<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                       "fill=\"{}\"/>", x, top + kChartH - h, slot * 0.7, h,
                       kSeriesColours[i % std::size(kSeriesColours)]);
    out += svg::text(x + slot * 0.35, top + kChartH - h - 4, fmt::format("{:.3g}{}", v, unit),
                     "text-anchor=\"middle\"");
    out += svg::text(x + slot * 0.35, top + kChartH + 14, label(runs[i]), "text-anchor=\"middle\"");
  }
  return out;
}

std::string scaling(const std::vector<Report>& runs, double top) {
  std::map<std::string, std::vector<const Report*>> series;
  for (const auto& r : runs) series[std::string(kind(r.facts.layout)) + ", " + r.facts.workload_description].push_back(&r);
  int most_workers = 1;
  double slowest = 0;
  for (const auto& r : runs) {
    most_workers = std::max(most_workers, r.facts.layout.workers());
    slowest = std::max(slowest, r.summary.wall_seconds);
  }
  if (slowest <= 0) slowest = 1;
  // Workers on a log2 axis: 1, 2, 4, ... as the seed figures have them.
  const double span = std::max(1.0, std::log2(double(most_workers)));
  const auto x_of = [&](int workers) { return kLeft + kChartW * std::log2(double(workers)) / span; };
  const auto y_of = [&](double seconds) { return top + kChartH * (1 - seconds / slowest); };
  std::string out = svg::text(kLeft, top - 10, "wall time against workers", "font-weight=\"bold\"");
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"black\"/>"
                     "<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"black\"/>\n",
                     kLeft, top, top + kChartH, kLeft + kChartW);
  for (int w = 1; w <= most_workers; w *= 2)
    out += svg::text(x_of(w), top + kChartH + 14, fmt::format("{}", w), "text-anchor=\"middle\"");
  out += svg::text(kLeft + kChartW / 2, top + kChartH + 30, "workers", "text-anchor=\"middle\"");
  out += svg::text(kLeft - 6, top + 8, svg::seconds_label(slowest), "text-anchor=\"end\"");
  int index = 0;
  for (auto& [name, points] : series) {
    std::sort(points.begin(), points.end(),
              [](auto* a, auto* b) { return a->facts.layout.workers() < b->facts.layout.workers(); });
    const char* colour = kSeriesColours[index % std::size(kSeriesColours)];
    std::string line;
    for (const auto* p : points) {
      line += fmt::format("{:.1f},{:.1f} ", x_of(p->facts.layout.workers()), y_of(p->summary.wall_seconds));
      out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>", x_of(p->facts.layout.workers()),
                         y_of(p->summary.wall_seconds), colour);
    }
    out += fmt::format("<polyline class=\"series\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n",
                       colour, line);
    out += svg::text(kLeft + kChartW + 10, top + 14.0 * index + 10, name, fmt::format("fill=\"{}\"", colour));
    ++index;
  }
  return out;
}

}  // namespace

std::string compare_table(const std::vector<Report>& runs) {
  const auto& base = baseline(runs);
  std::string out = fmt::format("{:<4} {:<24} {:>9} {:>7} {:>10} {:>8} {:>10} {:>6} {:>7} {:>10}  {}\n", "run",
                                "layout", "workers", "wall s", "speedup", "eff.", "load bal.", "MPI", "OpenMP",
                                "items/s", "file");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const double speedup = r.summary.wall_seconds > 0 ? base.summary.wall_seconds / r.summary.wall_seconds : 0;
    const auto& e = r.efficiency;
    out += fmt::format("{:<4} {:<24} {:>9} {:>7.3f} {:>9.2f}x {:>8.3f} {:>10.3f} {:>6.3f} {:>7.3f} {:>10.1f}  {}{}\n",
                       i + 1, label(r), r.facts.layout.workers(), r.summary.wall_seconds, speedup, e.overall.parallel,
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
  std::set<int> workers;
  for (const auto& r : runs) workers.insert(r.facts.layout.workers());
  const bool scales = workers.size() > 1;
  const double block = kChartH + 80;
  const double height = kTop + block * (scales ? 3 : 2);
  std::string out = svg::header(kLeft + kChartW + 260, height, "hybridscope compare");
  out += svg::text(kLeft, 20, "hybridscope compare", "font-size=\"13\" font-weight=\"bold\"");
  out += bars(runs, kTop + 10, "wall time", [](const Report& r) { return r.summary.wall_seconds; }, " s");
  out += bars(runs, kTop + 10 + block, "parallel efficiency",
              [](const Report& r) { return r.efficiency.overall.parallel; }, "");
  if (scales) out += scaling(runs, kTop + 10 + 2 * block);
  out += "</svg>\n";
  return out;
}

}  // namespace hybridscope::analysis
