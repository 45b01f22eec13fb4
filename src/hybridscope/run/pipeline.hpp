#pragma once
// `hybridscope run` from start to end: input -> plan -> execute -> record -> summary -> write ->
// verify -> publish, on every rank of MPI_COMM_WORLD.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "hybridscope/run/run.hpp"

namespace hybridscope {

// What `hybridscope run` was asked to do.
struct RunRequest {
  std::optional<std::string> input;  // an input deck; none: the built-in default
  std::vector<std::string> sets;     // --set KEY=VALUE overrides
  std::optional<std::string> output; // the timeline's path; none: a unique default name
  bool force = false;                // replace an existing timeline
  std::optional<std::string> resume; // a timeline of the same input whose unfinished items to run
  std::size_t trace_memory_mib = kDefaultTraceMemoryMiB;
  std::string command_line;          // as typed, recorded in the timeline
  std::optional<double> progress_every;  // --progress SECONDS: plain lines every SECONDS, 0: none
  bool quiet = false;                // --quiet: no progress and no summary
};

// Starts MPI, runs the job and writes its timeline. Every outcome becomes one message (on rank 0,
// or on the rank that failed alone) and the exit code every rank returns: 0, 1 (the run failed),
// 2 (bad input) or 128 + N (stopped by signal N).
int run_job(const RunRequest& request, int& argc, char**& argv);

}  // namespace hybridscope
