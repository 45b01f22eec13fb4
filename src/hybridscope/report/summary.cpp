#include "hybridscope/report/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

namespace hybridscope::report {

namespace {
// Beyond this many ranks the busy shares are summarised (min, mean, max) instead of listed.
constexpr std::size_t kRanksListed = 16;

std::string busy_shares(const std::vector<metrics::RankShare>& shares) {
  if (shares.empty()) return "-";
  if (shares.size() <= kRanksListed) {
    std::string out;
    for (const auto& s : shares)
      out += fmt::format("{}rank {}: {:.1f}% ({} items)", out.empty() ? "" : ", ", s.rank, 100 * s.busy, s.items);
    return out;
  }
  const auto by_busy = [](const auto& a, const auto& b) { return a.busy < b.busy; };
  const auto [lo, hi] = std::minmax_element(shares.begin(), shares.end(), by_busy);
  double mean = 0;
  for (const auto& s : shares) mean += s.busy / double(shares.size());
  return fmt::format("min {:.1f}% (rank {}), mean {:.1f}%, max {:.1f}% (rank {})", 100 * lo->busy, lo->rank,
                     100 * mean, 100 * hi->busy, hi->rank);
}

// "host1 (2 ranks), host2 (2 ranks)".
std::string host_summary(const std::vector<std::string>& hosts) {
  std::map<std::string, int> per_host;
  for (const auto& h : hosts) ++per_host[h];
  std::string out;
  for (const auto& [host, count] : per_host)
    out += fmt::format("{}{} ({} rank{})", out.empty() ? "" : ", ", host, count, count == 1 ? "" : "s");
  return out;
}
}  // namespace

std::string format_summary(const std::string& first_line, const timeline::RunFacts& f,
                           const timeline::RunSummary& s, const std::vector<metrics::ThreadTimes>& threads,
                           const std::vector<std::string>& hosts) {
  const auto e = metrics::efficiencies(threads, s.wall_seconds).overall;
  std::string out = first_line + "\n";
  out += fmt::format("layout     {} = {} workers on {} node{}: {}\n", describe(f.layout), f.layout.workers(),
                     f.nodes, f.nodes == 1 ? "" : "s", host_summary(hosts));
  out += fmt::format("workload   {}, {} of {} items\n", f.workload_description, s.items_done, f.items_planned);
  if (f.workload == "command")
    out += fmt::format("tasks      {} ran to an exit, {} failed; output in {}\n", s.items_done, s.items_failed,
                       f.task_output);
  if (!f.resumed_from.empty())
    out += fmt::format("resumed    {}: {} items carried over; the farm has {} of {} succeeded (farm checksum "
                       "{:016x})\n", f.resumed_from, f.items_carried, f.items_carried + s.items_done - s.items_failed,
                       f.items_carried + f.items_planned, f.checksum_carried + s.checksum_succeeded);
  out += fmt::format("strategy   {} (hand-out: {})\n", f.strategy, f.handout);
  out += fmt::format("wall time  {:.3f} s\n", s.wall_seconds);
  out += fmt::format("items/s    {:.1f}\n", s.wall_seconds > 0 ? double(s.items_done) / s.wall_seconds : 0.0);
  out += fmt::format("checksum   {:016x} ({} items)\n", s.checksum, s.items_done);
  out += fmt::format("efficiency {:.3f} = load balance {:.3f} x communication {:.3f}\n", e.parallel, e.load_balance,
                     e.communication);
  out += fmt::format("busy share {}", busy_shares(metrics::rank_shares(threads, f.layout.ranks, s.wall_seconds)));
  return out;
}

}  // namespace hybridscope::report
