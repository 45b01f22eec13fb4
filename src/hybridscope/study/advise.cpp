#include "hybridscope/study/advise.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "hybridscope/core/stop.hpp"

namespace hybridscope::study {

namespace {

// A trial still running at twice the time of the best finished one, plus the seconds by which the
// start of a launch varies (more ranks start more slowly, srun steps on a busy node by seconds), has
// clearly lost.
constexpr double kLoseFactor = 2.0;
constexpr double kLoseSlackS = 2.0;
constexpr double kSummaryS = 1.0;    // kept for writing the summary at the end
constexpr double kShortestTrialS = 1.0;
constexpr double kTieGap = 0.05;  // short trials on a shared machine vary by a few percent

std::vector<Configuration> candidates(const AdviseOptions& o, int workers) {
  const auto args = input_args(o.input, o.sets);
  std::vector<Configuration> out;
  for (const auto& layout : layouts_of(workers))
    out.push_back({fmt::format("{}x{}", layout.ranks, layout.threads), std::string(kind(layout)), layout, args});
  return out;
}

std::vector<Trial> run_trials(const Setup& setup, const std::vector<Configuration>& configurations,
                              double budget_s) {
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  std::vector<Trial> trials;
  std::optional<double> best;  // launch seconds of the fastest complete trial
  for (std::size_t i = 0; i < configurations.size() && !stop::requested(); ++i) {
    // A stopped trial may take the stop grace beyond its limit; the summary needs a moment too.
    const double left = budget_s - elapsed() - stop_grace_seconds() - kSummaryS;
    if (left < kShortestTrialS) break;
    const auto limit = trial_limit(left, int(configurations.size() - i), best);
    auto trial = run_trial(setup, configurations[i], limit.seconds);
    trial.lost = trial.outcome.stopped && limit.losing && !stop::requested();
    if (!trial.outcome.stopped && trial.report && trial.report->summary.complete)
      best = std::min(best.value_or(trial.outcome.seconds), trial.outcome.seconds);
    trials.push_back(std::move(trial));
  }
  return trials;
}

std::string evidence(const analysis::Report& r) {
  const auto& e = r.efficiency;
  return fmt::format("{:.1f} items/s, wall {:.3f} s, efficiency {:.3f} = load balance {:.3f} x communication "
                     "{:.3f} = MPI {:.3f} x OpenMP {:.3f}{}", r.items_per_second, r.summary.wall_seconds,
                     e.overall.parallel, e.overall.load_balance, e.overall.communication, e.mpi.parallel,
                     e.openmp.parallel,
                     r.summary.complete ? "" : fmt::format(" ({} of {} items: stopped before its end)",
                                                        r.summary.items_done, r.facts.items_planned));
}

// How far behind the best the second is. A run stopped at its share of the budget may show more
// items/s over the part it did, but it took longer than the complete best run.
std::string runner_up(const Trial& best, const Trial& second) {
  const double gap = 1 - second.report->items_per_second / best.report->items_per_second;
  const auto name = fmt::format("runner-up    {} ({})", describe(second.config.layout), second.config.series);
  if (gap < 0 && best.report->summary.complete && !second.report->summary.complete)
    return fmt::format("{}: did not finish within {:.1f} s; the recommended run took {:.1f} s", name,
                       second.outcome.seconds, best.outcome.seconds);
  return fmt::format("{}: {:.1f}% fewer items/s{}", name, 100 * gap,
                     gap < kTieGap ? " (a tie within measurement noise: either will do)" : "");
}

// The recommended layout as a command line for mpirun and for srun, to copy.
std::vector<std::string> command_lines(const Setup& setup, const Configuration& best) {
  std::vector<std::string> out;
  const auto program = run_program("hybridscope", best, "");
  for (const Launcher& l : {Launcher{LauncherKind::mpiexec, "mpirun"}, Launcher{LauncherKind::srun, "srun"}})
    out.push_back(fmt::format("{:<12} {}", l.program, shell_line(launch_command(l, best.layout, setup.cpus, program))));
  return out;
}

std::vector<std::string> recommendation(const std::vector<Trial>& trials, const Choice& choice) {
  if (!choice.best)
    return {stop::requested() ? "no recommendation: hybridscope was asked to stop before a trial did an item"
                              : "no recommendation: no trial did an item within the budget; raise --budget or "
                                "lower the items (--set items=N)"};
  const Trial& best = trials[*choice.best];
  std::vector<std::string> out{fmt::format("recommended  {} ({}): {}", describe(best.config.layout),
                                           best.config.series, evidence(*best.report))};
  for (const auto& warning : best.report->warnings) out.push_back("warning      " + warning);
  if (choice.runner_up) out.push_back(runner_up(best, trials[*choice.runner_up]));
  return out;
}

// The candidates that did not run, and why.
std::vector<std::string> not_tried(const std::vector<Trial>& trials, const std::vector<Configuration>& configurations) {
  std::vector<std::string> out;
  for (std::size_t i = trials.size(); i < configurations.size(); ++i)
    out.push_back(fmt::format("not tried    {} ({}): {}", describe(configurations[i].layout),
                              configurations[i].series,
                              stop::requested() ? "hybridscope was asked to stop" : "the budget was spent"));
  return out;
}

Summary summarise(const Setup& setup, const std::string& title, int workers, const std::vector<Trial>& trials,
                  const std::vector<Configuration>& configurations) {
  const Choice choice = choose(trials);
  Summary summary{title, recommendation(trials, choice), {}, {}};
  if (choice.best) {
    summary.recommended = trials[*choice.best].config.layout;
    for (const auto& line : command_lines(setup, trials[*choice.best].config)) summary.conclusions.push_back(line);
  }
  for (const auto& line : not_tried(trials, configurations)) summary.conclusions.push_back(line);
  if (workers > setup.cpus)
    summary.conclusions.push_back(fmt::format("the {} workers share {} CPUs: every trial ran oversubscribed and unbound",
                                              workers, setup.cpus));
  return summary;
}

}  // namespace

TrialLimit trial_limit(double budget_left_s, int trials_left, std::optional<double> best_s) {
  TrialLimit limit{budget_left_s / std::max(1, trials_left), false};
  const double losing_s = best_s ? *best_s * kLoseFactor + kLoseSlackS : limit.seconds;
  if (losing_s < limit.seconds) limit = {losing_s, true};
  return limit;
}

Choice choose(const std::vector<Trial>& trials) {
  std::vector<std::size_t> ranked;
  for (std::size_t i = 0; i < trials.size(); ++i)
    if (trials[i].report && !trials[i].lost && trials[i].report->summary.items_done > 0) ranked.push_back(i);
  std::stable_sort(ranked.begin(), ranked.end(), [&](std::size_t a, std::size_t b) {
    const auto& x = *trials[a].report;
    const auto& y = *trials[b].report;
    if (x.summary.complete != y.summary.complete) return x.summary.complete;
    return x.items_per_second > y.items_per_second;
  });
  Choice choice;
  if (!ranked.empty()) choice.best = ranked[0];
  if (ranked.size() > 1) choice.runner_up = ranked[1];
  return choice;
}

void advise(const AdviseOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  check_input(options.input, options.sets);
  const auto setup = make_setup(options.launcher, options.folder.empty() ? default_folder("advise") : options.folder);
  const int workers = options.workers > 0 ? options.workers : setup.cpus;
  const auto configurations = candidates(options, workers);
  prepare_folder(setup, configurations, false);
  const auto title = fmt::format("advise {}: {} layouts of {} workers, budget {} s", options.input,
                                 configurations.size(), workers, options.budget_s);
  fmt::print("{}\n{} CPUs, launcher {}\n\n", title, setup.cpus, setup.launcher.program);
  const double setup_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto trials = run_trials(setup, configurations, options.budget_s - setup_s);
  auto summary = summarise(setup, title, workers, trials, configurations);
  summary.input = options.input;
  write_results(setup, trials, summary, false);
}

}  // namespace hybridscope::study
