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

std::int64_t ThreadTimes::total_ns() const { return std::accumulate(ns.begin(), ns.end(), std::int64_t{0}); }

namespace {
// a / b part by part; 0 where b is 0.
Efficiency divide(const Efficiency& a, const Efficiency& b) {
  const auto ratio = [](double x, double y) { return y > 0 ? x / y : 0.0; };
  return {ratio(a.load_balance, b.load_balance), ratio(a.communication, b.communication),
          ratio(a.parallel, b.parallel)};
}

double mean(const std::vector<double>& v) { return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()); }
double most(const std::vector<double>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }
}  // namespace

Efficiencies efficiencies(const std::vector<ThreadTimes>& threads, double wall_s) {
  std::vector<double> useful;
  std::map<int, std::vector<double>> rank_useful, rank_outside_mpi;
  for (const auto& t : threads) {
    const double u = double(t.useful_ns()) * 1e-9;
    useful.push_back(u);
    rank_useful[t.rank].push_back(u);
    rank_outside_mpi[t.rank].push_back(double(t.total_ns() - t.in_mpi_ns()) * 1e-9);
  }
  std::vector<double> outside_mpi;  // per rank
  double thread_imbalance = 0;      // mean over ranks of (busiest thread - mean thread) useful time
  for (const auto& [rank, values] : rank_outside_mpi) outside_mpi.push_back(mean(values));
  for (const auto& [rank, values] : rank_useful) thread_imbalance += (most(values) - mean(values)) / double(rank_useful.size());

  Efficiencies e;
  e.overall = pop(useful, wall_s);
  e.mpi = pop(outside_mpi, wall_s);
  e.openmp = divide(e.overall, e.mpi);
  if (wall_s > 0 && !threads.empty()) {
    auto& m = e.additive.mpi;
    m.load_balance = 1 - (most(outside_mpi) - mean(outside_mpi)) / wall_s;
    m.communication = most(outside_mpi) / wall_s;
    m.parallel = m.load_balance + m.communication - 1;
    auto& o = e.additive.openmp;
    o.parallel = 1 + e.overall.parallel - m.parallel;
    o.load_balance = 1 - thread_imbalance / wall_s;
    o.communication = o.parallel - o.load_balance + 1;
  }
  return e;
}

double cpu_share_of_items(const std::vector<ThreadTimes>& threads) {
  double cpu = 0, useful = 0;
  for (const auto& t : threads) {
    cpu += double(t.item_cpu_ns);
    useful += double(t.measured_item_ns);
  }
  return useful > 0 ? cpu / useful : -1;
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
