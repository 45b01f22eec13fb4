#include "hybridscope/analysis/farm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/stop.hpp"

namespace hybridscope::analysis {

namespace {

constexpr std::size_t kSlowestShown = 5;
constexpr std::size_t kFailedShown = 10;
// A farm on a CPU at least this share of its task time is CPU-bound; at most this share, waiting.
constexpr double kCpuBound = 0.8;
constexpr double kWaiting = 0.2;
// A chain longer than this is taken to loop (damaged resumed_from attributes).
constexpr std::size_t kMostRuns = 10000;

double seconds(const trace::TaskAttempt& a) { return double(a.end_ns - a.begin_ns) * 1e-9; }

std::string ending(const trace::TaskAttempt& a) {
  return a.exit_code >= 0 ? fmt::format("exit code {}", a.exit_code) : stop::signal_name(a.signal);
}

// The earlier run named by `path` as it was written, or as found beside `beside`.
std::string locate(const std::string& path, const std::string& beside) {
  std::error_code error;
  if (std::filesystem::is_regular_file(path, error)) return path;
  const auto moved = std::filesystem::path(beside).parent_path() / std::filesystem::path(path).filename();
  return std::filesystem::is_regular_file(moved, error) ? moved.string() : path;
}

}  // namespace

TaskStats task_stats(const timeline::Timeline& t) {
  TaskStats s;
  s.attempts = t.tasks.size();
  if (t.tasks.empty()) return s;
  std::map<std::uint64_t, const trace::TaskAttempt*> last;
  std::map<int, std::int64_t> rank_rss;
  for (const auto& r : t.ranks) rank_rss[r.rank] = r.max_rss_kib;
  for (const auto& [rank, kib] : rank_rss) s.rank_rss_kib = std::max(s.rank_rss_kib, kib);
  std::vector<std::int64_t> rss;
  for (const auto& a : t.tasks) {
    auto& l = last[a.item];
    if (!l || a.attempt > l->attempt) l = &a;
    s.task_seconds += seconds(a);
    s.cpu_seconds += double(a.user_ns + a.system_ns) * 1e-9;
    if (a.max_rss_kib > rank_rss[a.rank]) rss.push_back(a.max_rss_kib);
  }
  for (const auto& [item, a] : last)
    if (!a->succeeded() && !a->abandoned) s.failed.push_back(*a);
  s.slowest = t.tasks;
  const auto n = std::min(kSlowestShown, s.slowest.size());
  std::partial_sort(s.slowest.begin(), s.slowest.begin() + std::ptrdiff_t(n), s.slowest.end(),
                    [](const auto& a, const auto& b) { return seconds(a) > seconds(b); });
  s.slowest.resize(n);
  std::sort(rss.begin(), rss.end());
  s.measured = rss.size();
  if (!rss.empty()) {
    s.max_rss_kib = rss.back();
    s.median_rss_kib = rss[rss.size() / 2];
  }
  return s;
}

FarmChain follow_chain(const timeline::Timeline& last) {
  FarmChain c;
  const auto& f = last.facts;
  c.items = f.items_carried + f.items_planned;
  c.succeeded = f.items_carried + last.summary.items_done - last.summary.items_failed;
  c.checksum = f.checksum_carried + last.summary.checksum_succeeded;
  std::vector<timeline::Timeline> runs{last};
  std::set<std::string> seen{std::filesystem::weakly_canonical(last.path).string()};
  while (!runs.back().facts.resumed_from.empty() && runs.size() < kMostRuns) {
    const auto path = locate(runs.back().facts.resumed_from, runs.back().path);
    if (!seen.insert(std::filesystem::weakly_canonical(path).string()).second) {
      c.missing = fmt::format("{}: already in the chain (a loop)", path);
      break;
    }
    try {
      runs.push_back(timeline::load(path, timeline::Load::summary));
    } catch (const Error& e) {
      c.missing = e.what();
      break;
    }
  }
  for (auto r = runs.rbegin(); r != runs.rend(); ++r) {
    c.runs.push_back(r->path);
    c.wall_seconds += r->summary.wall_seconds;
    c.attempts += r->tasks.size();
    for (const auto& a : r->tasks) c.task_cpu_seconds += double(a.user_ns + a.system_ns) * 1e-9;
  }
  return c;
}

std::string tasks_text(const TaskStats& s, const std::string& output) {
  std::string out = fmt::format("\nattempts   {} ({} items failed for good)\n", s.attempts, s.failed.size());
  for (std::size_t i = 0; i < std::min(kFailedShown, s.failed.size()); ++i) {
    const auto& a = s.failed[i];
    out += fmt::format("  failed   item {} ({}, attempt {}, rank {} thread {}): {}\n", a.item, ending(a), a.attempt,
                       a.rank, a.thread, trace::task_output_path(output, a.item, a.attempt, "err"));
  }
  if (s.failed.size() > kFailedShown) out += fmt::format("  failed   ... {} more\n", s.failed.size() - kFailedShown);
  for (const auto& a : s.slowest)
    out += fmt::format("  slowest  item {}: {:.3f} s ({}, rank {} thread {})\n", a.item, seconds(a), ending(a), a.rank,
                       a.thread);
  const double share = s.task_seconds > 0 ? s.cpu_seconds / s.task_seconds : 0;
  out += fmt::format("  CPU      {:.3f} s of {:.3f} s in tasks = {:.1f}% ({})\n", s.cpu_seconds, s.task_seconds,
                     100 * share,
                     share >= kCpuBound ? "CPU-bound" : share <= kWaiting ? "mostly waiting: I/O, sleeps, the network"
                                                                         : "partly waiting");
  const auto mib = [](std::int64_t kib) { return double(kib) / 1024; };
  const std::uint64_t below = s.attempts - s.measured;
  if (s.measured > 0)
    out += fmt::format("  memory   peak {:.1f} MiB, median {:.1f} MiB of the {} attempts larger than their rank\n",
                       mib(s.max_rss_kib), mib(s.median_rss_kib), s.measured);
  if (below > 0)
    out += fmt::format("  memory   {} attempts stayed below their rank's own {:.1f} MiB (their peak is not known "
                       "more closely: Linux counts the rank's memory for a task until it starts its program)\n",
                       below, mib(s.rank_rss_kib));
  return out;
}

std::string chain_text(const FarmChain& c) {
  std::string out = fmt::format("\nfarm       {} runs ({} first): {} of {} items succeeded, {} task attempts, {:.3f} s "
                                "wall and {:.3f} s task CPU in all; farm checksum {:016x}\n",
                                c.runs.size(), c.runs.front(), c.succeeded, c.items, c.attempts, c.wall_seconds,
                                c.task_cpu_seconds, c.checksum);
  if (!c.missing.empty())
    out += fmt::format("  warning: an earlier run is missing ({}); times cover the runs found, item counts and the "
                       "checksum come from the last run\n", c.missing);
  return out;
}

}  // namespace hybridscope::analysis
