#pragma once
// Advice for one input: short trials of every ranks x threads split of the workers, each a real
// launch, stopped early when they clearly lose and never running past a time budget; then one
// recommended layout with its evidence and the command line to use.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "hybridscope/study/results.hpp"

namespace hybridscope::study {

struct AdviseOptions {
  std::string input;
  std::vector<std::string> sets;  // --set overrides, passed on to every trial
  std::string folder;             // empty: default_folder("advise")
  int workers = 0;                // 0: the available CPUs
  double budget_s = 60;           // for everything, from start to the written summary
  std::string launcher;           // see pick_launcher
};

struct TrialLimit {
  double seconds = 0;
  bool losing = false;  // the limit is where the trial clearly loses against the best finished one
};

// How long the next trial may run before it is stopped: its fair share of what is left of the
// budget, and once a trial finished, no longer than twice the best finished trial plus 2 s (for
// launches that start more slowly), beyond which it has clearly lost.
TrialLimit trial_limit(double budget_left_s, int trials_left, std::optional<double> best_s);

struct Choice {
  std::optional<std::size_t> best, runner_up;  // indices into the trials
};

// Among trials with a timeline and items done that did not clearly lose: complete runs first, then
// the most items per second.
Choice choose(const std::vector<Trial>& trials);

// Runs the trials and writes the results; a stop request (Ctrl-C) ends it after the current trial.
void advise(const AdviseOptions& options);

}  // namespace hybridscope::study
