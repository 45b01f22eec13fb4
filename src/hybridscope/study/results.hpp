#pragma once
// Configurations run one after another as child jobs into one folder, and what is written about
// them: per configuration its timeline and launcher log, then the comparison table (text and JSON),
// the comparison chart and, for studies, one activity plot per configuration.
#include <optional>
#include <string>
#include <vector>

#include "hybridscope/analysis/report.hpp"
#include "hybridscope/study/launch.hpp"

namespace hybridscope::study {

struct Configuration {
  std::string name;                   // file stem in the folder, e.g. "gil-1x4"
  std::string series;                 // the runs it is compared with, e.g. "gil, threads"
  Layout layout;
  std::vector<std::string> run_args;  // after `hybridscope run`: [INPUT] and --set overrides
};

// Where and how the configurations run.
struct Setup {
  Launcher launcher;
  int cpus = 1;
  std::string folder;
  std::string exe;  // this hybridscope executable, which the launches run
  double load_average = -1;  // of the machine over the minute before, when known
};

// The launcher (--launcher), the CPUs, this executable and the machine's load before any launch;
// `folder` is where results go.
Setup make_setup(const std::string& launcher, const std::string& folder);

// "hybridscope-<what>-<UTC time>" in the current directory.
std::string default_folder(const std::string& what);

// `INPUT --set S ...`: what every run of an input deck gets after `hybridscope run`.
std::vector<std::string> input_args(const std::string& input, const std::vector<std::string>& sets);

// Bad input stops a study or advise before any launch, with the message `run` would give (one line
// naming the file). Throws InputError.
void check_input(const std::string& input, const std::vector<std::string>& sets);

// `exe run [INPUT] --set ... --set threads=T`, with `-o` the configuration's timeline in `folder`
// unless `folder` is empty.
std::vector<std::string> run_program(const std::string& exe, const Configuration& c, const std::string& folder);

// Creates the folder if needed, after checking that no file the configurations and the summary will
// write exists in it: nothing is ever overwritten. Throws InputError.
void prepare_folder(const Setup& setup, const std::vector<Configuration>& configurations, bool plots);

struct Trial {
  Configuration config;
  Outcome outcome;
  std::optional<analysis::Report> report;  // when it left a timeline
  bool lost = false;                       // advise: stopped because it clearly lost
};

// Launches one configuration, stopped after `limit_s` seconds, and reads its timeline; prints one
// progress line. Throws Error when the launch fails on its own (not stopped), naming its log.
Trial run_trial(const Setup& setup, const Configuration& c, double limit_s);

struct Summary {
  std::string title;  // what ran, where
  std::vector<std::string> conclusions;
  std::optional<Layout> recommended;  // advise
  std::string input;                  // the input deck every run used (advise, a deck's study), or empty
};

// summary.txt (also printed), summary.json and compare.svg; with `plots` also NAME.svg per trial.
void write_results(const Setup& setup, const std::vector<Trial>& trials, const Summary& summary, bool plots);

}  // namespace hybridscope::study
