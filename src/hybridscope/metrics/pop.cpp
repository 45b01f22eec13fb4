#include "hybridscope/metrics/pop.hpp"

#include <algorithm>
#include <map>
#include <numeric>

namespace hybridscope::metrics {

Efficiency pop(const std::vector<double>& useful_s, double wall_s) {
  Efficiency e;
  if (useful_s.empty() || wall_s <= 0) return e;
  const double most = *std::max_element(useful_s.begin(), useful_s.end());
  if (most <= 0) return e;
  const double mean = std::accumulate(useful_s.begin(), useful_s.end(), 0.0) / double(useful_s.size());
  e.load_balance = mean / most;
  e.communication = most / wall_s;
  e.parallel = e.load_balance * e.communication;
  return e;
}

Efficiencies efficiencies(const std::vector<ThreadTimes>& threads, int threads_per_rank, double wall_s) {
  std::vector<double> useful;
  std::map<int, double> rank_busiest;
  for (const auto& t : threads) {
    const double u = double(t.useful_ns()) * 1e-9;
    useful.push_back(u);
    rank_busiest[t.rank] = std::max(rank_busiest[t.rank], u);
  }
  Efficiencies e;
  e.overall = pop(useful, wall_s);
  std::vector<double> busiest;
  for (const auto& [rank, u] : rank_busiest) busiest.push_back(u);
  e.mpi = pop(busiest, wall_s);
  const double sum_busiest = std::accumulate(busiest.begin(), busiest.end(), 0.0);
  const double sum_useful = std::accumulate(useful.begin(), useful.end(), 0.0);
  if (sum_busiest > 0 && threads_per_rank > 0) e.openmp = sum_useful / (double(threads_per_rank) * sum_busiest);
  return e;
}

std::vector<RankShare> rank_shares(const std::vector<ThreadTimes>& threads, int ranks, double wall_s) {
  std::vector<RankShare> out(static_cast<std::size_t>(std::max(0, ranks)));
  std::vector<int> thread_count(out.size(), 0);
  for (std::size_t r = 0; r < out.size(); ++r) out[r].rank = int(r);
  for (const auto& t : threads) {
    if (t.rank < 0 || t.rank >= ranks) continue;
    auto& s = out[std::size_t(t.rank)];
    s.items += t.items;
    s.busy += double(t.useful_ns()) * 1e-9;
    ++thread_count[std::size_t(t.rank)];
  }
  for (std::size_t r = 0; r < out.size(); ++r)
    out[r].busy = wall_s > 0 && thread_count[r] > 0 ? out[r].busy / (wall_s * thread_count[r]) : 0.0;
  return out;
}

}  // namespace hybridscope::metrics
