#pragma once
// POP parallel-efficiency metrics (the POP Centre of Excellence's model), as pure functions of each
// worker thread's time per activity kind and the run's wall time. The run summary, `report`,
// `compare` and `advise` all take their numbers from here.
#include <array>
#include <cstdint>
#include <vector>

#include "hybridscope/trace/interval.hpp"

namespace hybridscope::metrics {

// What one worker thread did over the run.
struct ThreadTimes {
  int rank = 0;
  int thread = 0;
  std::uint64_t items = 0;
  std::array<std::int64_t, trace::kActivityCount> ns{};  // time per activity kind

  // "Useful" time in POP's sense: inside items (work and io).
  std::int64_t useful_ns() const {
    return ns[std::size_t(trace::Activity::work)] + ns[std::size_t(trace::Activity::io)];
  }
};

// parallel = load_balance * communication.
struct Efficiency {
  double load_balance = 0;   // mean useful time / max useful time
  double communication = 0;  // max useful time / wall time
  double parallel = 0;
};

// From the useful seconds of each worker; zeros when there is no work or no wall time.
Efficiency pop(const std::vector<double>& useful_s, double wall_s);

struct Efficiencies {
  Efficiency overall;  // over all worker threads
  // The hybrid split, overall.parallel = mpi.parallel * openmp: the MPI part treats each rank as
  // its busiest thread; the OpenMP part is how well a rank's threads keep up with it.
  Efficiency mpi;
  double openmp = 0;
};

Efficiencies efficiencies(const std::vector<ThreadTimes>& threads, int threads_per_rank, double wall_s);

// One rank's part of the run.
struct RankShare {
  int rank = 0;
  std::uint64_t items = 0;
  double busy = 0;  // time in items / (its threads x wall time): a rank that ran out of work early is less busy
};

// Per rank, in rank order, for ranks 0 .. ranks-1.
std::vector<RankShare> rank_shares(const std::vector<ThreadTimes>& threads, int ranks, double wall_s);

}  // namespace hybridscope::metrics
