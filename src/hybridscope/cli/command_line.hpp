#pragma once
// The command line: every subcommand, option and check in one place, parsed without side effects so
// that the driver decides what to print on which rank (and a fuzzer can call it).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hybridscope/analysis/commands.hpp"
#include "hybridscope/analysis/watch.hpp"
#include "hybridscope/run/pipeline.hpp"
#include "hybridscope/study/advise.hpp"
#include "hybridscope/study/studies.hpp"

namespace hybridscope::cli {

enum class Command { none, run, report, plot, compare, export_trace, study, advise, watch };

struct Parsed {
  Command command = Command::none;
  RunRequest run;
  analysis::PostArgs post;
  analysis::WatchOptions watch;
  // study and advise: one process, no MPI, launching runs as child jobs.
  hybridscope::study::StudyOptions study;
  hybridscope::study::AdviseOptions advise;
  // When set, the process ends here with this code, printing `out` (help, version) or `err`.
  std::optional<int> exit_code;
  std::string out, err;
};

Parsed parse(int argc, const char* const* argv);

// The rank the launcher gave this process, known before MPI starts (0 without a launcher), so that
// help and command-line errors are printed once without starting MPI at all.
int launcher_rank();

// Runs the parsed command; returns the process's exit code (0, 1, 2 or 128 + a signal).
int dispatch(const Parsed& parsed, int& argc, char**& argv);

}  // namespace hybridscope::cli
