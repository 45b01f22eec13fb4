#pragma once
// The intervals table, the bulk of a timeline. Every rank turns its own intervals into columns and
// hands them to its node leader, which writes the node's rows. In a file of one node every rank
// also filters (shuffles, compresses, checksums) the chunks that hold its rows alone, so that
// compression, most of a write's work, runs on every rank's CPUs at once; the leader stores those
// chunks as they come and assembles the few that straddle two ranks.
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "hybridscope/h5/parallel.hpp"
#include "hybridscope/trace/recording.hpp"

namespace hybridscope::timeline {

// Where a rank's intervals go: rows [first, first + count) of a table of `total` rows.
struct IntervalRows {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
  std::uint64_t total = 0;
  bool one_node = false;  // the file has one writer, which may store chunks filtered elsewhere
  int cpus = 1;           // threads that filter this rank's chunks (mpi::cpu_share)
};

// On a rank that is not its node's leader: hands its intervals to the leader.
void send_intervals(MPI_Comm node, const IntervalRows& rows, int rank, const trace::Recording& recording);

// On a node leader, collectively over the file's processes: writes its node's rows of the table's
// `columns` (rank, thread, kind, cpu, chunk, item, cpu_ns, begin_ns, end_ns): its own (`own`), then
// those of its node's other ranks, `count_of[k]` rows from rank k of `node` (k >= 1).
void write_intervals(h5::Table& table, std::vector<h5::Column>& columns, MPI_Comm node,
                     const std::vector<std::uint64_t>& count_of, const IntervalRows& own, int rank,
                     const trace::Recording& recording);

}  // namespace hybridscope::timeline
