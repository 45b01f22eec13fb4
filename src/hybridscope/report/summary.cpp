#include "hybridscope/report/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace hybridscope::report {

namespace {
constexpr std::size_t kRanksListed = 16;

std::string busy_shares(const RunResult& r) {
  const auto& s = r.busy_share;
  if (s.size() <= kRanksListed) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i)
      out += fmt::format("{}rank {}: {:.1f}% ({} items)", i ? ", " : "", i, 100 * s[i], r.rank_items[i]);
    return out;
  }
  const auto [lo, hi] = std::minmax_element(s.begin(), s.end());
  const double mean = std::accumulate(s.begin(), s.end(), 0.0) / double(s.size());
  return fmt::format("min {:.1f}% (rank {}), mean {:.1f}%, max {:.1f}% (rank {})", 100 * *lo,
                     lo - s.begin(), 100 * mean, 100 * *hi, hi - s.begin());
}
}  // namespace

std::string format_summary(const RunResult& r, const RunConfig& c, const std::string& origin) {
  const auto& l = r.layout;
  std::string out;
  out += fmt::format("input      {}\n", origin);
  out += fmt::format("layout     {} rank{} x {} thread{} = {} workers on {} node{}: {}\n", l.ranks,
                     l.ranks == 1 ? "" : "s", l.threads, l.threads == 1 ? "" : "s", l.workers(),
                     l.nodes, l.nodes == 1 ? "" : "s", l.host_summary());
  out += fmt::format("workload   {}, {} items, chunk {}\n", describe(c.workload), c.items, c.chunk);
  out += fmt::format("strategy   {} (hand-out: {})\n", to_string(c.strategy), r.handout);
  out += fmt::format("wall time  {:.3f} s\n", r.wall_seconds);
  out += fmt::format("items/s    {:.1f}\n", r.wall_seconds > 0 ? double(r.items) / r.wall_seconds : 0.0);
  out += fmt::format("checksum   {:016x} ({} items)\n", r.checksum, r.items);
  const auto& e = r.efficiency;
  out += fmt::format("efficiency {:.3f} = load balance {:.3f} x communication {:.3f}\n", e.parallel,
                     e.load_balance, e.communication);
  out += fmt::format("busy share {}", busy_shares(r));
  return out;
}

}  // namespace hybridscope::report
