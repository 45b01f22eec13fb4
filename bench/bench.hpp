#pragma once
#include <benchmark/benchmark.h>
#include <mpi.h>

namespace hybridscope::bench {

// For benchmarks of one process: true (and the benchmark is skipped) on ranks other than 0, so
// that they do not compete with rank 0 for the cores.
inline bool skipped_off_root(benchmark::State& state) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) return false;
  state.SkipWithError("runs on rank 0 only");
  return true;
}

}  // namespace hybridscope::bench
