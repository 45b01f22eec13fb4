#include "hybridscope/analysis/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "hybridscope/report/summary.hpp"
#include "hybridscope/topo/host.hpp"

namespace hybridscope::analysis {

namespace {

constexpr auto kWork = std::size_t(trace::Activity::work);
// Items on a CPU at least this share of their time are CPU-bound; at most this share, mostly waiting.
constexpr double kCpuBound = 0.9;
constexpr double kWaiting = 0.5;

nlohmann::json tasks_json(const TaskStats& s, const std::string& output) {
  const auto attempt = [&](const trace::TaskAttempt& a) {
    return nlohmann::json{{"item", a.item},         {"attempt", a.attempt},
                          {"rank", a.rank},         {"thread", a.thread},
                          {"exit_code", a.exit_code}, {"signal", a.signal},
                          {"seconds", double(a.end_ns - a.begin_ns) * 1e-9},
                          {"stderr", trace::task_output_path(output, a.item, a.attempt, "err")}};
  };
  nlohmann::json failed = nlohmann::json::array(), slowest = nlohmann::json::array();
  for (const auto& a : s.failed) failed.push_back(attempt(a));
  for (const auto& a : s.slowest) slowest.push_back(attempt(a));
  return {{"attempts", s.attempts},         {"failed", failed},
          {"slowest", slowest},             {"task_seconds", s.task_seconds},
          {"cpu_seconds", s.cpu_seconds},   {"max_rss_kib", s.max_rss_kib},
          {"median_rss_kib", s.median_rss_kib}, {"attempts_larger_than_rank", s.measured},
          {"rank_rss_kib", s.rank_rss_kib},     {"output", output}};
}

std::string lane_name(int rank, int thread) { return fmt::format("rank {} thread {}", rank, thread); }

void add_core_usage(const timeline::Intervals& c, std::vector<ThreadStats>& threads) {
  std::map<std::pair<int, int>, timeline::Lane> by_thread;
  for (const auto& lane : timeline::lanes(c)) by_thread[{lane.rank, lane.thread}] = lane;
  for (auto& t : threads) {
    const auto it = by_thread.find({t.rank, t.thread});
    if (it == by_thread.end()) continue;
    int previous = -1;
    for (std::size_t i = it->second.first; i < it->second.last; ++i) {
      const int cpu = c.cpu[i];
      if (cpu < 0 || cpu == previous) continue;
      if (previous >= 0) ++t.migrations;
      previous = cpu;
      if (std::find(t.cores.begin(), t.cores.end(), cpu) == t.cores.end()) t.cores.push_back(cpu);
    }
    std::sort(t.cores.begin(), t.cores.end());
  }
}

// Two threads working on one core at the same time for at least this long, and this share of the
// run, is worth a warning; shorter overlaps are the scheduler's ordinary noise.
constexpr double kSharedCoreMinimumNs = 1e6;
constexpr double kSharedCoreMinimumShare = 0.01;

// Work of two different threads on one core of one host at the same time. Rows are grouped by core;
// within a group each thread's rows are already in time order, so merging those runs sorts the group
// without a global sort.
void warn_shared_cores(const timeline::Timeline& t, const std::map<int, std::string>& host_of, Report& r) {
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
  const double wall_ns = t.summary.wall_seconds * 1e9;
  for (const auto& [key, ns] : overlap) {
    const auto& [host, cpu, a, b] = key;
    if (double(ns) < std::max(kSharedCoreMinimumNs, kSharedCoreMinimumShare * wall_ns)) continue;
    r.warnings.push_back(fmt::format(
        "two threads shared a core: {} and {} worked on core {} of {} at the same time for {:.3f} s "
        "({:.0f}% of the run)", lane_name(lane_of[a].first, lane_of[a].second),
        lane_name(lane_of[b].first, lane_of[b].second), cpu, hosts[host], double(ns) * 1e-9,
        100.0 * double(ns) / wall_ns));
  }
}

// A node whose threads were less busy than this share of the busiest node's is worth a warning.
constexpr double kNodeBalanceWarning = 0.7;

void add_nodes(Report& r) {
  std::map<std::string, NodeStats> by_host;
  std::map<std::string, std::set<int>> ranks;
  for (const auto& t : r.threads) {
    auto& n = by_host[t.host];
    n.host = t.host;
    ++n.threads;
    n.items += t.items;
    n.busy += t.share[kWork] + t.share[std::size_t(trace::Activity::io)];
    ranks[t.host].insert(t.rank);
  }
  if (by_host.size() < 2) return;
  double mean = 0, most = 0;
  for (auto& [host, n] : by_host) {
    n.ranks = int(ranks[host].size());
    n.busy /= n.threads;
    mean += n.busy / double(by_host.size());
    most = std::max(most, n.busy);
    r.nodes.push_back(n);
  }
  r.node_load_balance = most > 0 ? mean / most : 1;
  const auto least = std::min_element(r.nodes.begin(), r.nodes.end(),
                                      [](const auto& a, const auto& b) { return a.busy < b.busy; });
  if (most > 0 && least->busy < kNodeBalanceWarning * most)
    r.warnings.push_back(fmt::format("node {} was the least busy: its threads were in items {:.1f}% of the run, "
                                     "against {:.1f}% on the busiest node (node load balance {:.3f}): it waited "
                                     "for work, was slower, or had its threads bound badly",
                                     least->host, 100 * least->busy, 100 * most, r.node_load_balance));
}

// A rank's clock offset to rank 0 should change no more than its measurements allow (half the
// fastest round trip, at start and at end); beyond that the clock drifted during the run.
void warn_clock_drift(const timeline::Timeline& t, Report& r) {
  for (const auto& row : t.ranks) {
    const auto change = std::llabs(row.clock_offset_end_ns - row.clock_offset_start_ns);
    const auto bound = (row.clock_round_trip_start_ns + row.clock_round_trip_end_ns) / 2;
    if (row.rank != 0 && change > bound)
      r.warnings.push_back(fmt::format("the clock of rank {} on {} moved by {:.1f} us against rank 0's during the "
                                       "run, more than the +-{:.1f} us its measurements allow: its times are "
                                       "corrected as if it drifted steadily", row.rank, row.host, double(change) * 1e-3,
                                       double(bound) * 1e-3));
  }
}

// Two ranks of one node bound to overlapping CPUs, with fewer CPUs between them than their threads,
// take turns on those CPUs: a launcher that binds each node's ranks as if they were alone there, a bad
// rankfile, every rank pinning its threads to the same first cores. Ranks that may run on every CPU of
// their host are unbound (more workers than cores is its own warning), and ranks that share a cpuset
// with room for all their threads (a job's cgroup) lose nothing. One warning per such node, naming it.
void warn_overlapping_binding(const timeline::Timeline& t, const std::map<int, std::set<int>>& rank_cpus,
                              const std::function<std::string(int)>& host, Report& r) {
  std::map<std::string, int> pus_of;
  for (const auto& h : t.hosts) pus_of[h.host] = h.pus;
  const auto bound = [&](int rank, const std::set<int>& cpus) {
    const auto pus = pus_of.find(host(rank));
    return pus != pus_of.end() && pus->second > 0 && int(cpus.size()) < pus->second;
  };
  const int threads = 2 * t.facts.layout.threads;  // of a pair of ranks
  std::map<std::string, std::vector<std::string>> shared;  // host -> "ranks A and B share CPU(s) L (...)"
  for (auto a = rank_cpus.begin(); a != rank_cpus.end(); ++a)
    for (auto b = std::next(a); b != rank_cpus.end(); ++b) {
      if (host(a->first) != host(b->first) || !bound(a->first, a->second) || !bound(b->first, b->second)) continue;
      std::vector<int> both, either;
      std::set_intersection(a->second.begin(), a->second.end(), b->second.begin(), b->second.end(),
                            std::back_inserter(both));
      std::set_union(a->second.begin(), a->second.end(), b->second.begin(), b->second.end(),
                     std::back_inserter(either));
      if (!both.empty() && int(either.size()) < threads)
        shared[host(a->first)].push_back(fmt::format("ranks {} and {} share CPU{} {} ({} threads on {} CPU{})", a->first,
                                                     b->first, both.size() == 1 ? "" : "s",
                                                     topo::format_cpu_list(both), threads, either.size(),
                                                     either.size() == 1 ? "" : "s"));
    }
  constexpr std::size_t kPairsShown = 3;
  const std::size_t others = t.hosts.size() > shared.size() ? t.hosts.size() - shared.size() : 0;
  for (const auto& [node, pairs] : shared) {
    std::string list;
    for (std::size_t i = 0; i < std::min(kPairsShown, pairs.size()); ++i) list += (i ? ", " : "") + pairs[i];
    if (pairs.size() > kPairsShown) list += fmt::format(" and {} more pairs", pairs.size() - kPairsShown);
    r.warnings.push_back(fmt::format(
        "the ranks on node {} were bound badly: {}, so they took turns there{}; bind each rank to cores of its "
        "own (srun --cpu-bind=cores, mpirun --map-by slot:PE={}) or not at all (--bind-to none)", node, list,
        others == 0 ? "" : others == 1 ? " (not so on the other node)" : fmt::format(" (not so on the other {} nodes)", others),
        t.facts.layout.threads));
  }
}

void warn_binding_and_oversubscription(const timeline::Timeline& t, const std::map<int, std::string>& host_of,
                                       Report& r) {
  const int threads_per_rank = t.facts.layout.threads;
  for (const auto& h : t.hosts) {
    const int workers = h.ranks * threads_per_rank;
    if (h.pus > 0 && workers > h.pus)
      r.warnings.push_back(fmt::format(
          "more workers than cores: {} workers on {}, which has {} hardware threads ({} cores); "
          "results there are limited by the cores", workers, h.host, h.pus, h.cores));
  }
  std::map<int, std::set<int>> rank_cpus;
  for (const auto& row : t.threads)
    if (!row.allowed_cpus.empty())  // empty: the run could not read it
      for (int c : topo::parse_cpu_list(row.allowed_cpus)) rank_cpus[row.times.rank].insert(c);
  const auto host = [&](int rank) { return host_of.count(rank) ? host_of.at(rank) : std::string(); };
  for (const auto& [rank, cpus] : rank_cpus)
    if (!cpus.empty() && int(cpus.size()) < threads_per_rank)
      r.warnings.push_back(fmt::format(
          "rank {}'s {} threads may only run on {} CPU{} of {}: the launcher bound the rank too tightly "
          "(mpirun binds each rank to one core by default: use --bind-to none or "
          "--map-by slot:PE={})", rank, threads_per_rank, cpus.size(), cpus.size() == 1 ? "" : "s", host(rank),
          threads_per_rank));
  warn_overlapping_binding(t, rank_cpus, host, r);
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

Report analyse(const timeline::Timeline& t) {
  Report r;
  r.path = t.path;
  r.facts = t.facts;
  r.summary = t.summary;
  r.thread_times = t.thread_times();
  r.hosts = t.rank_hosts();
  const double wall = t.summary.wall_seconds;
  r.items_per_second = wall > 0 ? double(t.summary.items_done) / wall : 0;
  r.efficiency = metrics::efficiencies(r.thread_times, wall);
  r.cpu_share = metrics::cpu_share_of_items(r.thread_times);
  std::map<int, std::string> host_of;
  for (const auto& row : t.ranks) host_of[row.rank] = row.host;

  std::uint64_t dropped = 0;
  for (const auto& row : t.threads) {
    ThreadStats s;
    s.rank = row.times.rank;
    s.thread = row.times.thread;
    s.host = host_of.count(s.rank) ? host_of[s.rank] : "";
    s.items = row.times.items;
    for (std::size_t k = 0; k < trace::kActivityCount; ++k)
      s.share[k] = wall > 0 ? double(row.times.ns[k]) * 1e-9 / wall : 0;
    s.cpu_share = metrics::cpu_share_of_items({row.times});
    r.threads.push_back(s);
    dropped += row.dropped_intervals;
  }

  add_core_usage(t.intervals, r.threads);
  if (!t.summary.complete)
    r.warnings.push_back(fmt::format("the run is incomplete: {} ({} of {} items done)", t.summary.stop_reason,
                                     t.summary.items_done, t.facts.items_planned));
  if (dropped > 0)
    r.warnings.push_back(fmt::format("{} intervals were dropped while recording (the spool could not keep up, or "
                                     "its file in $TMPDIR could not be written: the run's log says which); "
                                     "shares are exact, cores and plots miss those intervals", dropped));
  warn_binding_and_oversubscription(t, host_of, r);
  warn_shared_cores(t, host_of, r);
  warn_migrations(r, r.warnings);
  add_nodes(r);
  warn_clock_drift(t, r);
  r.tasks = task_stats(t);
  if (!t.facts.resumed_from.empty()) r.chain = follow_chain(t);
  return r;
}

std::string to_text(const Report& r) {
  const auto& e = r.efficiency;
  std::string out = report::format_summary(
      fmt::format("run        {}{}", r.path, r.summary.complete ? "" : "  (INCOMPLETE)"), r.facts, r.summary,
      r.thread_times, r.hosts);
  const auto split = [](const metrics::Efficiency& x) {
    return fmt::format("{:.3f} (load balance {:.3f} x communication {:.3f})", x.parallel, x.load_balance,
                       x.communication);
  };
  out += fmt::format("\n  hybrid   MPI {} x OpenMP {}\n", split(e.mpi), split(e.openmp));
  out += fmt::format("  additive MPI {:.3f} + OpenMP {:.3f} - 1 (OpenMP: load balance {:.3f}, the rest {:.3f})\n",
                     e.additive.mpi.parallel, e.additive.openmp.parallel, e.additive.openmp.load_balance,
                     e.additive.openmp.communication);
  if (r.cpu_share >= 0)
    out += fmt::format("  on a CPU {:.1f}% of the time in items ({})\n", 100 * r.cpu_share,
                       r.cpu_share >= kCpuBound  ? "CPU-bound"
                       : r.cpu_share <= kWaiting ? "mostly waiting: I/O, a lock or a shared core"
                                                 : "partly waiting");
  out += "\n rank thread   items   busy    cpu   idle   lock handout    mpi  other  cores  migrations\n";
  for (const auto& t : r.threads) {
    const auto pct = [&](std::initializer_list<trace::Activity> kinds) {
      double s = 0;
      for (auto k : kinds) s += t.share[std::size_t(k)];
      return 100 * s;
    };
    std::string cores;
    for (int c : t.cores) cores += fmt::format("{}{}", cores.empty() ? "" : ",", c);
    using A = trace::Activity;
    const auto cpu = t.cpu_share < 0 ? std::string("     -") : fmt::format("{:5.1f}%", 100 * t.cpu_share);
    out += fmt::format("{:5} {:6} {:7} {:5.1f}% {} {:5.1f}% {:5.1f}% {:6.1f}% {:5.1f}% {:5.1f}%  {:<6} {}\n", t.rank,
                       t.thread, t.items, pct({A::work, A::io}), cpu, pct({A::idle}), pct({A::lock_wait}),
                       pct({A::handout}), pct({A::mpi}), pct({A::startup, A::shutdown, A::abandoned}),
                       cores.empty() ? "-" : cores, t.migrations);
  }
  if (!r.nodes.empty()) {
    out += fmt::format("\n node{:>{}} ranks threads    items   busy\n", "", 20);
    for (const auto& n : r.nodes)
      out += fmt::format(" {:<24} {:5} {:7} {:8} {:5.1f}%\n", n.host, n.ranks, n.threads, n.items, 100 * n.busy);
    out += fmt::format(" node load balance {:.3f}\n", r.node_load_balance);
  }
  if (r.tasks.attempts > 0) out += tasks_text(r.tasks, r.facts.task_output);
  if (r.chain) out += chain_text(*r.chain);
  for (const auto& w : r.warnings) out += fmt::format("\nwarning: {}", w);
  if (!r.warnings.empty()) out += "\n";
  return out;
}

std::string to_json(const Report& r) {
  using nlohmann::json;
  const auto& f = r.facts;
  const auto& s = r.summary;
  const auto efficiency = [](const metrics::Efficiency& e) {
    return json{{"load_balance", e.load_balance}, {"communication", e.communication}, {"parallel", e.parallel}};
  };
  json threads = json::array();
  for (const auto& t : r.threads) {
    json shares;
    for (std::size_t k = 0; k < trace::kActivityCount; ++k) shares[trace::kActivityNames[k]] = t.share[k];
    threads.push_back({{"rank", t.rank}, {"thread", t.thread}, {"host", t.host}, {"items", t.items},
                       {"shares", shares}, {"cpu_share_of_items", t.cpu_share < 0 ? json() : json(t.cpu_share)},
                       {"cores", t.cores}, {"migrations", t.migrations}});
  }
  json out = {{"file", r.path},
              {"complete", s.complete},
              {"stop_reason", s.stop_reason},
              {"ranks", f.layout.ranks},
              {"threads_per_rank", f.layout.threads},
              {"workers", f.layout.workers()},
              {"nodes", f.nodes},
              {"strategy", f.strategy},
              {"workload", f.workload},
              {"workload_description", f.workload_description},
              {"items_planned", f.items_planned},
              {"items_done", s.items_done},
              {"wall_seconds", s.wall_seconds},
              {"items_per_second", r.items_per_second},
              {"checksum", fmt::format("{:016x}", s.checksum)},
              {"efficiency", efficiency(r.efficiency.overall)},
              {"mpi_efficiency", efficiency(r.efficiency.mpi)},
              {"openmp_efficiency", efficiency(r.efficiency.openmp)},
              {"additive", {{"mpi", efficiency(r.efficiency.additive.mpi)},
                            {"openmp", efficiency(r.efficiency.additive.openmp)}}},
              {"cpu_share_of_items", r.cpu_share < 0 ? json() : json(r.cpu_share)},
              {"threads", threads},
              {"warnings", r.warnings}};
  out["items_failed"] = s.items_failed;
  if (!r.nodes.empty()) {
    json nodes = json::array();
    for (const auto& n : r.nodes)
      nodes.push_back({{"host", n.host}, {"ranks", n.ranks}, {"threads", n.threads}, {"items", n.items},
                       {"busy", n.busy}});
    out["nodes"] = nodes;
    out["node_load_balance"] = r.node_load_balance;
  }
  if (r.tasks.attempts > 0) out["tasks"] = tasks_json(r.tasks, f.task_output);
  if (r.chain)
    out["farm"] = {{"runs", r.chain->runs},           {"missing", r.chain->missing},
                   {"items", r.chain->items},         {"succeeded", r.chain->succeeded},
                   {"attempts", r.chain->attempts},   {"wall_seconds", r.chain->wall_seconds},
                   {"task_cpu_seconds", r.chain->task_cpu_seconds},
                   {"checksum", fmt::format("{:016x}", r.chain->checksum)}};
  return out.dump(2);
}

}  // namespace hybridscope::analysis
