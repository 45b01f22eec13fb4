#pragma once
// The command line: every subcommand, option and check in one place, parsed without side effects so
// that the driver decides what to print on which rank (and a fuzzer can call it).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hybridscope/study/advise.hpp"
#include "hybridscope/study/studies.hpp"

namespace hybridscope::cli {

enum class Command { none, run, report, plot, compare, export_trace, study, advise };

struct RunArgs {
  std::optional<std::string> input;
  std::vector<std::string> sets;
  std::optional<std::string> output;
  bool force = false;
  std::size_t trace_memory_mib = 64;
  std::string command_line;  // as typed, recorded in the timeline
};

// report, plot, compare and export: one process, no MPI.
struct PostArgs {
  std::vector<std::string> files;
  std::string output;  // default filled in beside the first file for plot and export
  bool json = false;
  int width = 1200;
  std::optional<double> from_s, to_s;
  std::string format;
  std::uint64_t sample = 1;
  std::uint64_t max_events = 1'000'000;
};

struct Parsed {
  Command command = Command::none;
  RunArgs run;
  PostArgs post;
  // study and advise: one process, no MPI, launching runs as child jobs.
  hybridscope::study::StudyOptions study;
  hybridscope::study::AdviseOptions advise;
  // When set, the process ends here with this code, printing `out` (help, version) or `err`.
  std::optional<int> exit_code;
  std::string out, err;
};

Parsed parse(int argc, const char* const* argv);

}  // namespace hybridscope::cli
