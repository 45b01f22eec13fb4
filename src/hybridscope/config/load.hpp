#pragma once
// Reads the input once on rank 0, validates it once, and shares the verdict with every rank.
#include <mpi.h>

#include <optional>
#include <string>
#include <vector>

#include "hybridscope/config/config.hpp"

namespace hybridscope {

struct LoadedInput {
  RunConfig config;
  std::string origin;    // the file path, or "built-in default"
  std::string text;      // the input exactly as given
  std::string resolved;  // canonical TOML after overrides and defaults
  std::string tasks_digest;  // of workload.tasks' commands (config/tasks.hpp), else empty
};

// Collective over comm. Throws InputError on every rank when the input is bad; only rank 0's
// message carries the details, so callers print it on rank 0 alone.
LoadedInput load_input(MPI_Comm comm, const std::optional<std::string>& path,
                       const std::vector<std::string>& assignments);

// Reads a whole input file; throws InputError naming the file and why it cannot be used.
std::string read_input_file(const std::string& path);

}  // namespace hybridscope
