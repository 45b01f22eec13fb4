#pragma once
// The built-in studies: the classic threads-vs-processes experiments as data (which inputs, which
// layouts), run on this machine or allocation, with conclusions computed from the numbers; and the
// same threads-vs-processes comparison on the user's own input deck. docs/studies.md says what each
// shows and what it measured here.
#include <optional>
#include <string>
#include <vector>

#include "hybridscope/study/results.hpp"

namespace hybridscope::study {

// gil, cpu-vs-io, fib, imbalance
std::vector<std::string> study_names();

// Whether a study's name is an input deck: not a built-in study, and a path ending in .toml or an
// existing file (so that ./gil is the file, gil the study).
bool is_deck(const std::string& name);

struct StudyOptions {
  std::string name;             // one of study_names(), or an input deck (is_deck)
  std::string folder;           // empty: default_folder("study-STEM")
  std::optional<double> scale;  // built-in studies: multiplies the time per item (default 1; fib: n
                                // moves by log_phi(scale)); a deck's items cannot be scaled: refused
  int max_workers = 0;          // 0: the study's default (cpu-vs-io: 8 x the CPUs); never beyond its largest
  double timeout_s = 600;       // per configuration
  std::string launcher;         // see pick_launcher
  std::vector<std::string> sets;  // --set overrides of a deck, passed on to every run; refused otherwise
};

struct Study {
  std::string name;   // the built-in name, or the deck's absolute path
  std::string stem;   // names the default folder and the runs' files: the name, or the deck's file stem
  std::string shows;  // one line
  std::vector<Configuration> configurations;
};

// The configurations of a study for `cpus` CPUs and the options' sizes. A deck runs, for 1, 2, 4, ...
// workers up to --max-workers (default the larger of 4 and the CPUs, at most 64), every split from
// threads only (1 x N) over the hybrids to processes only (N x 1). Throws InputError for an unknown
// name, a deck that cannot be read or does not parse (before anything runs), --scale with a deck
// and --set with a built-in study.
Study define_study(const StudyOptions& options, int cpus);

// Per series its speedup against the fewest workers and what limits it (the lock, the CPUs), or
// its numbers when all runs have as many workers; when all runs do the same work, the fastest layout
// at each worker count; whether checksums agree; oversubscription.
std::vector<std::string> conclude(const std::vector<Trial>& trials, int cpus);

// Runs every configuration and writes the results; a stop request (Ctrl-C) ends it after the
// current run, with the results so far.
void run_study(const StudyOptions& options);

}  // namespace hybridscope::study
