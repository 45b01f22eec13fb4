#include "hybridscope/analysis/columns.hpp"

#include <algorithm>
#include <array>

namespace hybridscope::analysis {

int Window::column_of(std::int64_t t) const {
  return std::clamp(int(double(t - begin) / column_ns()), 0, columns - 1);
}

std::vector<Column> lane_columns(const timeline::Intervals& c, const timeline::Lane& lane, const Window& w) {
  constexpr std::size_t kKinds = trace::kActivityCount;
  struct Tally {
    std::array<double, kKinds> ns{};
    std::array<double, kKinds> longest{};
    std::array<std::int64_t, kKinds> row{};
  };
  std::vector<Tally> tally(std::size_t(w.columns));
  const double width = w.column_ns();
  for (std::size_t i = lane.first; i < lane.last; ++i) {
    const std::int64_t b = std::max(c.begin_ns[i], w.begin), e = std::min(c.end_ns[i], w.end);
    if (e <= b) continue;
    const std::size_t k = c.kind[i];
    for (int col = w.column_of(b); col <= w.column_of(e - 1); ++col) {
      const double col_begin = double(w.begin) + col * width;
      const double overlap = std::min(double(e), col_begin + width) - std::max(double(b), col_begin);
      if (overlap <= 0) continue;
      auto& t = tally[std::size_t(col)];
      t.ns[k] += overlap;
      if (overlap > t.longest[k]) t.longest[k] = overlap, t.row[k] = std::int64_t(i);
    }
  }
  std::vector<Column> out(tally.size());
  for (std::size_t col = 0; col < tally.size(); ++col) {
    const auto& t = tally[col];
    const auto best = std::max_element(t.ns.begin(), t.ns.end());
    if (*best <= 0) continue;
    const auto k = std::size_t(best - t.ns.begin());
    out[col] = {int(k), t.row[k],
                t.ns[std::size_t(trace::Activity::work)] + t.ns[std::size_t(trace::Activity::io)]};
  }
  return out;
}

}  // namespace hybridscope::analysis
