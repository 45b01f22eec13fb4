#pragma once
// The run's timeline file: every rank writes its own part of one parallel-HDF5 file.
// docs/timeline-format.md describes every group, dataset and attribute; kSchemaVersion changes
// whenever they do.
#include <mpi.h>

#include <string>

#include "hybridscope/config/config.hpp"
#include "hybridscope/run.hpp"

namespace hybridscope::timeline {

inline constexpr std::int64_t kSchemaVersion = 1;

struct RunMetadata {
  std::string origin;          // input file path or "built-in default"
  std::string input_text;      // the input exactly as given
  std::string input_resolved;  // canonical TOML after overrides and defaults
  std::string command_line;
  std::string start_time_utc;  // ISO 8601
};

// Collective. Writes `result` into a new file at `path` and reads it back (verify). Throws Error on
// every rank when the file cannot be created or does not read back; a write that fails while the
// file is open removes it and ends the job with MPI_Abort, since closing it could hang.
void write(MPI_Comm comm, const std::string& path, const RunResult& result, const RunConfig& config,
           const RunMetadata& metadata);

// Collective. Every rank reads back its share of the closed file; throws Error on every rank if
// any part is unreadable (a lost write, as MPI-IO does not always report a full disk).
void verify(MPI_Comm comm, const std::string& path);

}  // namespace hybridscope::timeline
