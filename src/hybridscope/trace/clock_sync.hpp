#pragma once
// One time base for all ranks: each node's CLOCK_MONOTONIC offset to rank 0's, measured by its
// leader by ping-pong at the start and at the end of the run (the fastest of several round trips
// bounds the error by half its duration), with offset and linear drift corrected between the two.
// A node has one clock, so its other ranks take their leader's estimate.
#include <mpi.h>

#include <cstdint>
#include <vector>

namespace hybridscope::trace {

struct ClockSample {
  std::int32_t rank;           // the node leader that measured
  std::int32_t phase;          // 0 start, 1 end
  std::int64_t local_send_ns;  // this rank's clock when it sent the ping
  std::int64_t root_ns;        // rank 0's clock when it answered
  std::int64_t local_recv_ns;  // this rank's clock when the answer arrived
};

struct ClockEstimate {
  std::int64_t local_ns = 0;   // midpoint of the best round trip, on this rank's clock
  std::int64_t offset_ns = 0;  // rank 0's clock minus this rank's, at local_ns
  std::int64_t round_trip_ns = 0;
};

// Collective over `node`; `leaders` holds the node leaders (MPI_COMM_NULL on the other ranks) and
// `rank` is this rank's number in the run. Returns a leader's samples (none on rank 0's node or on
// other ranks) and stores the node's best in `estimate`.
std::vector<ClockSample> measure_clock(MPI_Comm leaders, MPI_Comm node, int rank, int phase,
                                       ClockEstimate& estimate);

// Maps this rank's clock to rank 0's, interpolating offset linearly between two estimates.
class ClockModel {
public:
  ClockModel() = default;
  ClockModel(const ClockEstimate& start, const ClockEstimate& end);
  std::int64_t to_root(std::int64_t local_ns) const;

private:
  ClockEstimate start_;
  double drift_ = 0;  // change of offset per ns of local time
};

}  // namespace hybridscope::trace
