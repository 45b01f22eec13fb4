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
  std::int64_t item_cpu_ns = 0;       // CPU time the thread used inside the items it measured
  std::int64_t measured_item_ns = 0;  // the time those items took (all items longer than 0.25 ms)

  // "Useful" time in POP's sense: inside items (work and io).
  std::int64_t useful_ns() const {
    return ns[std::size_t(trace::Activity::work)] + ns[std::size_t(trace::Activity::io)];
  }
  // The thread's whole recorded time, from its rank's begin to its end.
  std::int64_t total_ns() const;
  std::int64_t in_mpi_ns() const { return ns[std::size_t(trace::Activity::mpi)]; }
};

// parallel = load_balance * communication.
struct Efficiency {
  double load_balance = 0;   // mean useful time / max useful time
  double communication = 0;  // max useful time / wall time
  double parallel = 0;
};

// From the useful seconds of each worker; zeros when there is no work or no wall time.
Efficiency pop(const std::vector<double>& useful_s, double wall_s);

// POP's hybrid metrics, both models (docs/metrics.md defines them and maps them to interval kinds).
// Useful time is time in items. From MPI's point of view everything outside MPI calls is useful
// (the OpenMP side: idle siblings, lock waits, the shared-memory hand-out); a rank's time outside
// MPI is its threads' mean time outside MPI calls, and the time it spends before its begin or after
// its end (waiting in MPI for the other ranks) is in MPI.
struct Efficiencies {
  Efficiency overall;  // from every thread's useful time: POP's hybrid parallel efficiency
  // Multiplicative: overall = mpi x openmp, and so for load balance and communication.
  Efficiency mpi;      // from each rank's time outside MPI
  Efficiency openmp;   // overall / mpi, part by part
  // Additive: overall.parallel = mpi.parallel + openmp.parallel - 1, and each parallel = its load
  // balance + its communication - 1 (inefficiencies add up as shares of the run).
  struct {
    Efficiency mpi;
    Efficiency openmp;
  } additive;
};

Efficiencies efficiencies(const std::vector<ThreadTimes>& threads, double wall_s);

// The share of the time in items during which the threads were on a CPU (their CPU time over the
// time of the items measured): near 1 for CPU-bound items, near 0 for items that wait. Negative
// when no item was measured.
double cpu_share_of_items(const std::vector<ThreadTimes>& threads);

// One rank's part of the run.
struct RankShare {
  int rank = 0;
  std::uint64_t items = 0;
  double busy = 0;  // time in items / (its threads x wall time): a rank that ran out of work early is less busy
};

// Per rank, in rank order, for ranks 0 .. ranks-1.
std::vector<RankShare> rank_shares(const std::vector<ThreadTimes>& threads, int ranks, double wall_s);

}  // namespace hybridscope::metrics
