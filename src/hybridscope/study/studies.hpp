#pragma once
// The built-in studies: the classic threads-vs-processes experiments as data (which inputs, which
// layouts), run on this machine or allocation, with conclusions computed from the numbers.
// docs/studies.md says what each shows and what it measured here.
#include <string>
#include <vector>

#include "hybridscope/study/results.hpp"

namespace hybridscope::study {

// gil, cpu-vs-io, fib, imbalance
std::vector<std::string> study_names();

struct StudyOptions {
  std::string name;        // one of study_names()
  std::string folder;      // empty: default_folder("study-NAME")
  double scale = 1;        // multiplies the time per item (fib: n moves by log_phi(scale))
  int max_workers = 0;     // 0: the study's default (cpu-vs-io: 8 x the CPUs); never beyond its largest
  double timeout_s = 600;  // per configuration
  std::string launcher;    // see pick_launcher
};

struct Study {
  std::string name;
  std::string shows;  // one line
  std::vector<Configuration> configurations;
};

// The configurations of a study for `cpus` CPUs and the options' sizes. Throws InputError for an
// unknown name.
Study define_study(const StudyOptions& options, int cpus);

// Per series its speedup against the fewest workers and what limits it (the lock, the CPUs), or
// its numbers when all runs have as many workers; whether checksums agree; oversubscription.
std::vector<std::string> conclude(const std::vector<Trial>& trials, int cpus);

// Runs every configuration and writes the results; a stop request (Ctrl-C) ends it after the
// current run, with the results so far.
void run_study(const StudyOptions& options);

}  // namespace hybridscope::study
