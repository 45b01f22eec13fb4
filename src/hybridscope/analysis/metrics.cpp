#include "hybridscope/analysis/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

namespace hybridscope::analysis {

namespace {

constexpr auto kWork = std::size_t(trace::Activity::work);

Efficiency pop(const std::vector<double>& useful, double wall) {
  Efficiency e;
  if (useful.empty() || wall <= 0) return e;
  const double most = *std::max_element(useful.begin(), useful.end());
  if (most <= 0) return e;
  const double mean = std::accumulate(useful.begin(), useful.end(), 0.0) / double(useful.size());
  e.load_balance = mean / most;
  e.communication = most / wall;
  e.parallel = e.load_balance * e.communication;
  return e;
}

std::string lane_name(int rank, int thread) { return fmt::format("rank {} thread {}", rank, thread); }

// Where each thread's rows start in the interval table: rows are ordered by rank, thread, time.
std::map<std::pair<int, int>, std::pair<std::size_t, std::size_t>> lanes(const Intervals& c) {
  std::map<std::pair<int, int>, std::pair<std::size_t, std::size_t>> out;
  for (std::size_t i = 0; i < c.size();) {
    std::size_t j = i;
    while (j < c.size() && c.rank[j] == c.rank[i] && c.thread[j] == c.thread[i]) ++j;
    out[{int(c.rank[i]), int(c.thread[i])}] = {i, j};
    i = j;
  }
  return out;
}

void add_core_usage(const Intervals& c, std::vector<ThreadStats>& threads) {
  const auto spans = lanes(c);
  for (auto& t : threads) {
    const auto it = spans.find({t.rank, t.thread});
    if (it == spans.end()) continue;
    int previous = -1;
    for (std::size_t i = it->second.first; i < it->second.second; ++i) {
      const int cpu = c.cpu[i];
      if (cpu < 0 || cpu == previous) continue;
      if (previous >= 0) ++t.migrations;
      previous = cpu;
      if (std::find(t.cores.begin(), t.cores.end(), cpu) == t.cores.end()) t.cores.push_back(cpu);
    }
    std::sort(t.cores.begin(), t.cores.end());
  }
}

// Work of two different threads on one core of one host at the same time. Rows are grouped by core;
// within a group each thread's rows are already in time order, so merging those runs sorts the group
// without a global sort.
void warn_shared_cores(const Timeline& t, const std::map<int, std::string>& host_of, Report& r) {
  const auto& c = t.intervals;
  std::vector<std::string> hosts;
  std::map<std::string, std::size_t> host_index;
  std::map<int, std::size_t> rank_host;
  for (const auto& [rank, host] : host_of) {
    const auto [it, fresh] = host_index.emplace(host, hosts.size());
    if (fresh) hosts.push_back(host);
    rank_host[rank] = it->second;
  }
  std::vector<std::pair<int, int>> lane_of;  // lanes in row order
  std::vector<std::size_t> lane_of_row(c.size());
  std::map<std::pair<std::size_t, int>, std::vector<std::size_t>> by_core;  // (host, cpu) -> rows
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (i == 0 || c.rank[i] != c.rank[i - 1] || c.thread[i] != c.thread[i - 1])
      lane_of.emplace_back(int(c.rank[i]), int(c.thread[i]));
    lane_of_row[i] = lane_of.size() - 1;
    if (c.kind[i] != kWork || c.cpu[i] < 0 || c.end_ns[i] <= c.begin_ns[i]) continue;
    by_core[{rank_host.at(int(c.rank[i])), c.cpu[i]}].push_back(i);
  }
  const auto earlier = [&](std::size_t a, std::size_t b) { return c.begin_ns[a] < c.begin_ns[b]; };
  std::map<std::tuple<std::size_t, int, std::size_t, std::size_t>, std::int64_t> overlap;  // host, cpu, lanes
  for (auto& [core, rows] : by_core) {
    // Merge the per-thread runs pairwise from the left: few threads share a core.
    std::size_t sorted_end = 0;
    while (sorted_end < rows.size()) {
      std::size_t run_end = sorted_end + 1;
      while (run_end < rows.size() && lane_of_row[rows[run_end]] == lane_of_row[rows[sorted_end]]) ++run_end;
      std::inplace_merge(rows.begin(), rows.begin() + sorted_end, rows.begin() + run_end, earlier);
      sorted_end = run_end;
    }
    for (std::size_t i = 0; i < rows.size(); ++i)
      for (std::size_t j = i + 1; j < rows.size() && c.begin_ns[rows[j]] < c.end_ns[rows[i]]; ++j) {
        const auto a = lane_of_row[rows[i]], b = lane_of_row[rows[j]];
        if (a == b) continue;
        const auto both = std::min(c.end_ns[rows[i]], c.end_ns[rows[j]]) - c.begin_ns[rows[j]];
        overlap[{core.first, core.second, std::min(a, b), std::max(a, b)}] += both;
      }
  }
  const double wall_ns = t.info.wall_seconds * 1e9;
  for (const auto& [key, ns] : overlap) {
    const auto& [host, cpu, a, b] = key;
    if (double(ns) < std::max(1e6, 0.01 * wall_ns)) continue;
    r.warnings.push_back(fmt::format(
        "two threads shared a core: {} and {} worked on core {} of {} at the same time for {:.3f} s "
        "({:.0f}% of the run)", lane_name(lane_of[a].first, lane_of[a].second),
        lane_name(lane_of[b].first, lane_of[b].second), cpu, hosts[host], double(ns) * 1e-9,
        100.0 * double(ns) / wall_ns));
  }
}

std::vector<int> parse_cpus(const std::string& ranges) {
  std::vector<int> cpus;
  std::size_t at = 0;
  while (at < ranges.size()) {
    const auto comma = std::min(ranges.find(',', at), ranges.size());
    const auto piece = ranges.substr(at, comma - at);
    const auto dash = piece.find('-');
    try {
      const int lo = std::stoi(piece.substr(0, dash));
      const int hi = dash == std::string::npos ? lo : std::stoi(piece.substr(dash + 1));
      for (int c = lo; c <= hi; ++c) cpus.push_back(c);
    } catch (const std::exception&) {
    }
    at = comma + 1;
  }
  return cpus;
}

void warn_binding_and_oversubscription(const Timeline& t, Report& r) {
  for (const auto& h : t.hosts) {
    const int workers = h.ranks * t.info.threads_per_rank;
    if (h.pus > 0 && workers > h.pus)
      r.warnings.push_back(fmt::format(
          "more workers than cores: {} workers on {}, which has {} hardware threads ({} cores); "
          "results there are limited by the cores", workers, h.host, h.pus, h.cores));
  }
  std::map<int, std::set<int>> rank_cpus;
  for (const auto& row : t.threads)
    for (int c : parse_cpus(row.allowed_cpus)) rank_cpus[row.rank].insert(c);
  for (const auto& [rank, cpus] : rank_cpus)
    if (!cpus.empty() && int(cpus.size()) < t.info.threads_per_rank)
      r.warnings.push_back(fmt::format(
          "rank {}'s {} threads may only run on {} CPU{}: the launcher bound the rank too tightly "
          "(mpirun binds each rank to one core by default: use --bind-to none or "
          "--map-by slot:PE={})", rank, t.info.threads_per_rank, cpus.size(),
          cpus.size() == 1 ? "" : "s", t.info.threads_per_rank));
}

void warn_migrations(const Report& report, std::vector<std::string>& warnings) {
  std::vector<const ThreadStats*> moved;
  for (const auto& t : report.threads)
    if (t.migrations > 0) moved.push_back(&t);
  if (moved.empty()) return;
  std::sort(moved.begin(), moved.end(), [](auto* a, auto* b) { return a->migrations > b->migrations; });
  std::string worst;
  for (std::size_t i = 0; i < std::min<std::size_t>(3, moved.size()); ++i)
    worst += fmt::format("{}{} {} times", i ? ", " : "", lane_name(moved[i]->rank, moved[i]->thread),
                         moved[i]->migrations);
  warnings.push_back(fmt::format("threads migrated between cores: {} of {} threads moved ({}); "
                                 "pin them with OMP_PROC_BIND=close OMP_PLACES=cores",
                                 moved.size(), report.threads.size(), worst));
}

}  // namespace

Report analyse(const Timeline& t) {
  Report r;
  r.info = t.info;
  const double wall = t.info.wall_seconds;
  r.items_per_second = wall > 0 ? double(t.info.items_done) / wall : 0;
  std::map<int, std::string> host_of;
  for (const auto& row : t.ranks) host_of[row.rank] = row.host;

  std::vector<double> useful;
  std::map<int, double> rank_busiest;
  std::uint64_t dropped = 0;
  for (const auto& row : t.threads) {
    ThreadStats s;
    s.rank = row.rank;
    s.thread = row.thread;
    s.host = host_of.count(row.rank) ? host_of[row.rank] : "";
    s.items = row.items;
    for (std::size_t k = 0; k < trace::kActivityCount; ++k)
      s.share[k] = wall > 0 ? double(row.ns[k]) * 1e-9 / wall : 0;
    r.threads.push_back(s);
    const double u = double(row.useful_ns()) * 1e-9;
    useful.push_back(u);
    rank_busiest[row.rank] = std::max(rank_busiest[row.rank], u);
    dropped += row.dropped;
  }
  r.overall = pop(useful, wall);
  std::vector<double> busiest;
  for (const auto& [rank, u] : rank_busiest) busiest.push_back(u);
  r.mpi = pop(busiest, wall);
  const double sum_busiest = std::accumulate(busiest.begin(), busiest.end(), 0.0);
  const double sum_useful = std::accumulate(useful.begin(), useful.end(), 0.0);
  if (sum_busiest > 0 && t.info.threads_per_rank > 0)
    r.openmp_parallel = sum_useful / (double(t.info.threads_per_rank) * sum_busiest);

  add_core_usage(t.intervals, r.threads);
  if (!t.info.complete)
    r.warnings.push_back(fmt::format("the run is incomplete: {} ({} of {} items done)",
                                     t.info.stop_reason, t.info.items_done, t.info.items_planned));
  if (dropped > 0)
    r.warnings.push_back(fmt::format("{} intervals were dropped while recording; shares are exact, "
                                     "cores and plots miss those intervals", dropped));
  warn_binding_and_oversubscription(t, r);
  warn_shared_cores(t, host_of, r);
  warn_migrations(r, r.warnings);
  return r;
}

std::string to_text(const Report& r) {
  const auto& i = r.info;
  std::string out;
  out += fmt::format("run        {}{}\n", i.path, i.complete ? "" : "  (INCOMPLETE)");
  out += fmt::format("layout     {} rank{} x {} thread{} = {} workers on {} node{}\n", i.ranks,
                     i.ranks == 1 ? "" : "s", i.threads_per_rank, i.threads_per_rank == 1 ? "" : "s",
                     i.workers(), i.nodes, i.nodes == 1 ? "" : "s");
  out += fmt::format("workload   {}, {} of {} items\n", i.workload_description, i.items_done, i.items_planned);
  out += fmt::format("strategy   {} (hand-out: {})\n", i.strategy, i.handout);
  out += fmt::format("wall time  {:.3f} s\nitems/s    {:.1f}\nchecksum   {}\n", i.wall_seconds,
                     r.items_per_second, i.checksum);
  out += fmt::format("efficiency {:.3f} = load balance {:.3f} x communication {:.3f}\n",
                     r.overall.parallel, r.overall.load_balance, r.overall.communication);
  out += fmt::format("  hybrid   MPI {:.3f} (load balance {:.3f} x communication {:.3f}) x OpenMP {:.3f}\n",
                     r.mpi.parallel, r.mpi.load_balance, r.mpi.communication, r.openmp_parallel);
  out += "\n rank thread   items   busy   idle   lock   comm  other  cores  migrations\n";
  for (const auto& t : r.threads) {
    const auto pct = [&](std::initializer_list<trace::Activity> kinds) {
      double s = 0;
      for (auto k : kinds) s += t.share[std::size_t(k)];
      return 100 * s;
    };
    std::string cores;
    for (int c : t.cores) cores += fmt::format("{}{}", cores.empty() ? "" : ",", c);
    using A = trace::Activity;
    out += fmt::format("{:5} {:6} {:7} {:5.1f}% {:5.1f}% {:5.1f}% {:5.1f}% {:5.1f}%  {:<6} {}\n", t.rank,
                       t.thread, t.items, pct({A::work, A::io}), pct({A::idle}), pct({A::lock_wait}),
                       pct({A::handout}), pct({A::startup, A::shutdown, A::abandoned}),
                       cores.empty() ? "-" : cores, t.migrations);
  }
  for (const auto& w : r.warnings) out += fmt::format("\nwarning: {}", w);
  if (!r.warnings.empty()) out += "\n";
  return out;
}

std::string to_json(const Report& r) {
  using nlohmann::json;
  const auto& i = r.info;
  const auto efficiency = [](const Efficiency& e) {
    return json{{"load_balance", e.load_balance}, {"communication", e.communication}, {"parallel", e.parallel}};
  };
  json threads = json::array();
  for (const auto& t : r.threads) {
    json shares;
    for (std::size_t k = 0; k < trace::kActivityCount; ++k) shares[trace::kActivityNames[k]] = t.share[k];
    threads.push_back({{"rank", t.rank}, {"thread", t.thread}, {"host", t.host}, {"items", t.items},
                       {"shares", shares}, {"cores", t.cores}, {"migrations", t.migrations}});
  }
  json out = {{"file", i.path},
              {"complete", i.complete},
              {"stop_reason", i.stop_reason},
              {"ranks", i.ranks},
              {"threads_per_rank", i.threads_per_rank},
              {"workers", i.workers()},
              {"nodes", i.nodes},
              {"strategy", i.strategy},
              {"workload", i.workload},
              {"workload_description", i.workload_description},
              {"items_planned", i.items_planned},
              {"items_done", i.items_done},
              {"wall_seconds", i.wall_seconds},
              {"items_per_second", r.items_per_second},
              {"checksum", i.checksum},
              {"efficiency", efficiency(r.overall)},
              {"mpi_efficiency", efficiency(r.mpi)},
              {"openmp_efficiency", r.openmp_parallel},
              {"threads", threads},
              {"warnings", r.warnings}};
  return out.dump(2);
}

}  // namespace hybridscope::analysis
