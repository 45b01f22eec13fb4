#pragma once
// The run's timeline file, in the format of timeline/format.hpp (docs/timeline-format.md for
// people): every rank hands its rows to its node leader, and the node leaders alone write one
// parallel-HDF5 file, so that HDF5's collective calls involve one process per node.
#include <mpi.h>

#include <string>

#include "hybridscope/mpi/placement.hpp"
#include "hybridscope/timeline/records.hpp"
#include "hybridscope/trace/recording.hpp"

namespace hybridscope::timeline {

// Collective over nodes.all(). Writes a new file at `path` from the run's facts and summary (the same
// on every rank) and this rank's rows and recording, then reads it back (verify). Throws Error on
// every rank when the file cannot be created or does not read back; a write that fails while the
// file is open removes it and ends the job with MPI_Abort, since closing it could hang.
void write(const mpi::NodeComms& nodes, const std::string& path, const RunFacts& facts, const RunSummary& summary,
           const RankFacts& rank, const trace::Recording& recording);

// Collective over nodes.all(). Every node leader reads back its share of the closed file; throws
// Error on every rank if any part is unreadable (a write MPI-IO lost without reporting it, as on
// a full disk).
void verify(const mpi::NodeComms& nodes, const std::string& path);

}  // namespace hybridscope::timeline
