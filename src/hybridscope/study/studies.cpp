#include "hybridscope/study/studies.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/stop.hpp"

namespace hybridscope::study {

namespace {

struct Sizes {
  double scale;
  int most;  // --max-workers, 0: the study's default
  int cpus;
  // The most workers of a run: --max-workers, else `usual`, never more than the study's `largest`.
  int workers(int usual, int largest) const { return std::min(largest, most > 0 ? most : usual); }
};

std::string seconds_per_item(double seconds, double scale) {
  return fmt::format("workload.seconds={:g}", seconds * scale);
}

Configuration configuration(const std::string& stem, const std::string& series, Layout layout,
                            const std::vector<std::string>& sets) {
  Configuration c{fmt::format("{}-{}x{}", stem, layout.ranks, layout.threads), series, layout, {}};
  for (const auto& s : sets) c.run_args.insert(c.run_args.end(), {"--set", s});
  return c;
}

// 1 x N threads and N x 1 processes for N = 1, 2, 4, ... up to `most` (1 x 1 once).
void sweep(std::vector<Configuration>& out, const std::string& kernel, const std::vector<std::string>& sets,
           int most) {
  for (int n = 1; n <= most; n *= 2) {
    out.push_back(configuration(kernel, kernel + ", threads", {1, n}, sets));
    if (n > 1) out.push_back(configuration(kernel, kernel + ", processes", {n, 1}, sets));
  }
}

// 16 items of 50 ms: 0.8 s of CPU work, 5 ms lock slices as CPython's GIL.
std::vector<Configuration> gil(const Sizes& s) {
  std::vector<Configuration> out;
  const auto seconds = seconds_per_item(0.05, s.scale);
  sweep(out, "gil", {"items=16", "workload.kind=gil", seconds, "workload.switch_interval=0.005"}, s.workers(8, 8));
  sweep(out, "spin", {"items=16", "workload.kind=spin", seconds}, s.workers(8, 8));
  return out;
}

// 64 items of 20 ms, so that 64 workers each have one. By default up to 8 workers per CPU: an
// oversubscribed launch of many ranks is slow to start and to write its timeline (64 ranks on
// 2 CPUs: about 2 minutes), so 64 workers are the default from 8 CPUs on.
std::vector<Configuration> cpu_vs_io(const Sizes& s) {
  std::vector<Configuration> out;
  const auto seconds = seconds_per_item(0.02, s.scale);
  const int most = s.workers(8 * s.cpus, 64);
  sweep(out, "cpu", {"items=64", "workload.kind=spin", seconds}, most);
  sweep(out, "io", {"items=64", "workload.kind=sleep", seconds}, most);
  return out;
}

// The classic is fib(30) in CPython, about 0.3 s per item; in C++ fib(30) takes 2 ms, which the
// start of a run would swamp, so the study computes fib(40), about 0.3 s here. fib(n + 1) takes the
// golden ratio times as long as fib(n), so --scale moves n.
std::vector<Configuration> fib(const Sizes& s) {
  const long n = 40 + std::lround(std::log(s.scale) / std::log((1 + std::sqrt(5.0)) / 2));
  std::vector<Configuration> out;
  for (const auto& layout : layouts_of(s.workers(4, 4)))
    out.push_back(configuration("fib", std::string(kind(layout)), layout,
                                {"items=4", "workload.kind=fib", fmt::format("workload.n={}", n)}));
  return out;
}

// inputs/irregular.toml: 2000 items, lognormal costs with mean 2 ms; one rank per CPU (at least 2).
std::vector<Configuration> imbalance(const Sizes& s) {
  std::vector<Configuration> out;
  const Layout layout{s.workers(std::max(2, s.cpus), 64), 1};
  for (const char* strategy : {"static-block", "static-cyclic", "dynamic", "guided"})
    out.push_back(configuration(strategy, strategy, layout,
                                {"items=2000", "workload.kind=irregular", seconds_per_item(0.002, s.scale),
                                 "workload.sigma=1.5", "workload.seed=7", fmt::format("strategy={}", strategy)}));
  return out;
}

struct Definition {
  const char* name;
  const char* shows;
  std::vector<Configuration> (*configurations)(const Sizes&);
};

const Definition kDefinitions[] = {
    {"gil", "the same CPU work under a GIL-like lock and without it (spin), as 1-8 threads of one rank and "
            "as 1-8 ranks: threads take turns under the lock, processes scale, and without the lock "
            "threads scale too", gil},
    {"cpu-vs-io", "CPU-bound (spin) and waiting (sleep) items with 1-64 workers as threads and as "
                  "processes: waiting keeps scaling past the CPUs, CPU work stops at the CPU count", cpu_vs_io},
    {"fib", "4 items of fib(40) (in C++ as long as CPython's classic fib(30)) as threads only, processes "
            "only and hybrid", fib},
    {"imbalance", "irregular items (lognormal costs) under each distribution strategy: static splits "
                  "leave ranks idle at the end, dynamic and guided keep them busy", imbalance},
};

bool is_builtin(const std::string& name) {
  return std::any_of(std::begin(kDefinitions), std::end(kDefinitions), [&](auto& d) { return name == d.name; });
}

// A user's deck cannot be scaled as the built-in kernels are: what an item costs is the user's code.
Study deck_study(const StudyOptions& o, int cpus) {
  if (o.scale)
    throw InputError(fmt::format("--scale applies to the built-in studies, not to the input deck '{}' (accepted: "
                                 "fewer items with --set items=N)", o.name));
  check_input(o.name, o.sets);
  const auto deck = std::filesystem::absolute(o.name).lexically_normal();
  const auto args = input_args(deck.string(), o.sets);
  const int most = std::min(64, o.max_workers > 0 ? o.max_workers : std::max(4, cpus));
  Study study{deck.string(), deck.stem().string(), "", {}};
  for (int n = 1; n <= most; n *= 2)
    for (const auto& layout : layouts_of(n))
      study.configurations.push_back({fmt::format("{}-{}x{}", study.stem, layout.ranks, layout.threads),
                                      std::string(kind(layout)), layout, args});
  study.shows = fmt::format("your input as threads only (1 x N), processes only (N x 1) and hybrid splits of N = 1 "
                            "to {} workers: which layout suits it", study.configurations.back().layout.workers());
  return study;
}

struct Scaling {
  double at_most;  // speedup of the run with the most workers
  double best;     // the best speedup of the series
  int most;        // workers of that run
  int base;        // workers of the run the speedups are against
  double lanes;    // workers inside an item on average in the run with the most workers
  int ranks;       // of that run
};

// Whether a series scaled, and if not, what stopped it: workers taking turns (about one per rank
// inside an item: a lock); the CPUs; or workers that were all inside items but slower.
std::string verdict(const Scaling& s, int cpus) {
  if (s.at_most >= 0.5 * s.most / s.base)
    return s.most > cpus ? fmt::format("scales past the {} CPUs: its items wait rather than compute", cpus)
                         : "scales";
  if (s.most > s.ranks && s.lanes < 1.5 * s.ranks)
    return "does not scale: about one worker per rank at a time is inside an item, so its threads take turns "
           "(a lock)";
  if (s.most > cpus && s.best >= 0.6 * std::min(s.most, cpus) / s.base)
    return fmt::format("limited by the {} CPUs: no faster beyond {} workers", cpus, cpus);
  return fmt::format("does not scale within the {} CPUs although its workers were inside items: the items ran "
                     "slower (other processes on the CPUs, or a shared resource such as memory)", cpus);
}

// Workers inside an item on average: mean useful time / wall = parallel efficiency x workers.
double lanes_in_items(const analysis::Report& r) { return r.efficiency.overall.parallel * r.facts.layout.workers(); }

// The run with the fewest workers of the same workload: what the speedups of a series are against.
const analysis::Report* baseline(const std::vector<Trial>& trials, const std::string& workload) {
  const analysis::Report* base = nullptr;
  for (const auto& t : trials)
    if (t.report && t.report->summary.complete && t.report->facts.workload_description == workload &&
        (!base || t.report->facts.layout.workers() < base->facts.layout.workers()))
      base = &*t.report;
  return base;
}

std::string series_line(const std::string& series, std::vector<const analysis::Report*> runs,
                        const analysis::Report& base, int cpus) {
  std::sort(runs.begin(), runs.end(), [](auto* a, auto* b) { return a->facts.layout.workers() < b->facts.layout.workers(); });
  const auto& last = *runs.back();
  if (last.facts.layout.workers() <= base.facts.layout.workers())
    return fmt::format("{} ({}x{}): wall {:.3f} s, efficiency {:.3f}, load balance {:.3f}", series, last.facts.layout.ranks,
                       last.facts.layout.threads, last.summary.wall_seconds, last.efficiency.overall.parallel,
                       last.efficiency.overall.load_balance);
  const auto speedup = [&](const analysis::Report* r) {
    return r->summary.wall_seconds > 0 ? base.summary.wall_seconds / r->summary.wall_seconds : 0.0;
  };
  const auto* best = *std::max_element(runs.begin(), runs.end(),
                                       [&](auto* a, auto* b) { return speedup(a) < speedup(b); });
  const Scaling s{speedup(&last), speedup(best), last.facts.layout.workers(), base.facts.layout.workers(), lanes_in_items(last),
                  last.facts.layout.ranks};
  return fmt::format("{}: {:.2f}x at {} workers against {} (best {:.2f}x at {}), {:.1f} of {} workers inside an "
                     "item on average: {}", series, s.at_most, s.most, s.base, s.best, best->facts.layout.workers(),
                     s.lanes, s.most, verdict(s, cpus));
}

std::vector<std::string> series_lines(const std::vector<Trial>& trials, int cpus) {
  std::vector<std::pair<std::string, std::vector<const analysis::Report*>>> series;  // in study order
  for (const auto& t : trials) {
    if (!t.report || !t.report->summary.complete) continue;  // the wall time of a stopped run is no speed
    auto it = std::find_if(series.begin(), series.end(), [&](auto& s) { return s.first == t.config.series; });
    if (it == series.end()) it = series.insert(series.end(), {t.config.series, {}});
    it->second.push_back(&*t.report);
  }
  std::vector<std::string> out;
  for (const auto& [name, runs] : series)
    out.push_back(series_line(name, runs, *baseline(trials, runs.front()->facts.workload_description), cpus));
  return out;
}

std::vector<std::string> checksum_lines(const std::vector<Trial>& trials) {
  std::map<std::string, std::set<std::uint64_t>> checksums;  // per workload, of complete runs
  std::map<std::string, int> runs;
  for (const auto& t : trials)
    if (t.report && t.report->summary.complete) {
      checksums[t.report->facts.workload_description].insert(t.report->summary.checksum);
      ++runs[t.report->facts.workload_description];
    }
  std::vector<std::string> out;
  for (const auto& [workload, sums] : checksums)
    out.push_back(sums.size() == 1
                      ? fmt::format("{}: checksum {:016x} in all {} complete runs", workload, *sums.begin(), runs[workload])
                      : fmt::format("{}: checksums DIFFER ({:016x}): an item was lost or done twice", workload,
                                    fmt::join(sums, ", ")));
  return out;
}

std::vector<const Trial*> complete_runs(const std::vector<Trial>& trials) {
  std::vector<const Trial*> done;
  for (const auto& t : trials)
    if (t.report && t.report->summary.complete) done.push_back(&t);
  return done;
}

// When every run has as many workers, which layout or strategy was fastest.
std::vector<std::string> fastest_lines(const std::vector<const Trial*>& done) {
  const auto workers = [](const Trial* t) { return t->config.layout.workers(); };
  if (done.size() < 2 || std::any_of(done.begin(), done.end(), [&](auto* t) { return workers(t) != workers(done[0]); }))
    return {};
  const auto [fast, slow] = std::minmax_element(done.begin(), done.end(), [](auto* a, auto* b) {
    return a->report->summary.wall_seconds < b->report->summary.wall_seconds;
  });
  return {fmt::format("fastest: {} ({:.3f} s); slowest: {} ({:.3f} s, {:.2f}x as long)", (*fast)->config.name,
                      (*fast)->report->summary.wall_seconds, (*slow)->config.name, (*slow)->report->summary.wall_seconds,
                      (*slow)->report->summary.wall_seconds / std::max(1e-9, (*fast)->report->summary.wall_seconds))};
}

// When every run did the same work with different worker counts (a deck's study), the fastest
// layout at each count: the answer to "threads, processes or both?" for that many workers.
std::vector<std::string> fastest_per_count(const std::vector<Trial>& trials) {
  const auto done = complete_runs(trials);
  std::map<int, std::vector<const Trial*>> by_workers;
  std::set<std::string> workloads;
  for (const auto* t : done) {
    by_workers[t->config.layout.workers()].push_back(t);
    workloads.insert(t->report->facts.workload_description);
  }
  if (by_workers.size() < 2 || workloads.size() != 1) return {};
  std::vector<std::string> out;
  for (const auto& [workers, runs] : by_workers)
    for (const auto& line : fastest_lines(runs)) out.push_back(fmt::format("{} workers, {}", workers, line));
  return out;
}

std::vector<std::string> oversubscription_lines(const std::vector<Trial>& trials, int cpus) {
  const auto crowded = std::count_if(trials.begin(), trials.end(),
                                     [&](const Trial& t) { return t.config.layout.workers() > cpus; });
  if (crowded == 0) return {};
  return {fmt::format("{} of {} runs had more workers than the {} CPUs: they ran oversubscribed and unbound, "
                      "so their CPU work is limited by the CPUs", crowded, trials.size(), cpus)};
}

}  // namespace

std::vector<std::string> study_names() {
  std::vector<std::string> out;
  for (const auto& d : kDefinitions) out.push_back(d.name);
  return out;
}

bool is_deck(const std::string& name) {
  std::error_code unreadable;  // a path that cannot be looked at is no file, so no deck
  return !is_builtin(name) && (name.ends_with(".toml") || std::filesystem::is_regular_file(name, unreadable));
}

Study define_study(const StudyOptions& options, int cpus) {
  if (is_deck(options.name)) return deck_study(options, cpus);
  if (!options.sets.empty())
    throw InputError(fmt::format("--set applies to a study of an input deck, not to the built-in study '{}' "
                                 "(accepted: study PATH.toml --set KEY=VALUE)", options.name));
  for (const auto& d : kDefinitions)
    if (options.name == d.name) {
      const Sizes sizes{options.scale.value_or(1), options.max_workers, cpus};
      return {d.name, d.name, d.shows, d.configurations(sizes)};
    }
  throw InputError(fmt::format("unknown study '{}' (accepted: {}, or an input deck: a path ending in .toml or an "
                               "existing file)", options.name, fmt::join(study_names(), ", ")));
}

std::vector<std::string> conclude(const std::vector<Trial>& trials, int cpus) {
  std::vector<std::string> out = series_lines(trials, cpus);
  for (auto more : {fastest_lines(complete_runs(trials)), fastest_per_count(trials), checksum_lines(trials),
                    oversubscription_lines(trials, cpus)})
    out.insert(out.end(), more.begin(), more.end());
  return out;
}

void run_study(const StudyOptions& options) {
  auto setup = make_setup(options.launcher, options.folder);
  const Study study = define_study(options, setup.cpus);
  if (setup.folder.empty()) setup.folder = default_folder("study-" + study.stem);
  prepare_folder(setup, study.configurations, true);
  fmt::print("study      {}: {}\n{} runs on {} CPUs with {}\n\n", study.name, study.shows,
             study.configurations.size(), setup.cpus, setup.launcher.program);
  std::vector<Trial> trials;
  for (const auto& c : study.configurations) {
    if (stop::requested()) break;
    trials.push_back(run_trial(setup, c, options.timeout_s));
  }
  const bool deck = is_deck(options.name);
  write_results(setup, trials, {fmt::format("study {}: {}", study.name, study.shows), conclude(trials, setup.cpus), {},
                                deck ? study.name : ""}, true);
}

}  // namespace hybridscope::study
