#include "hybridscope/trace/clock_sync.hpp"

#include <cmath>
#include <limits>

#include "hybridscope/core/clock.hpp"

namespace hybridscope::trace {

namespace {
constexpr int kRoundTrips = 16;
constexpr int kTag = 7301;
}  // namespace

namespace {

// Leader `me` of `leaders` against leader 0, which serves one leader at a time so that no round
// trip queues behind another.
std::vector<ClockSample> ping_first_leader(MPI_Comm leaders, int rank, int phase, ClockEstimate& estimate) {
  int me = 0, size = 1;
  MPI_Comm_rank(leaders, &me);
  MPI_Comm_size(leaders, &size);
  std::vector<ClockSample> samples;
  estimate = {};
  if (me == 0) {
    for (int peer = 1; peer < size; ++peer)
      for (int i = 0; i < kRoundTrips; ++i) {
        char ping = 0;
        MPI_Recv(&ping, 1, MPI_CHAR, peer, kTag, leaders, MPI_STATUS_IGNORE);
        const std::int64_t now = now_ns();
        MPI_Send(&now, 1, MPI_INT64_T, peer, kTag, leaders);
      }
    estimate.local_ns = now_ns();
    return samples;
  }
  std::int64_t best = std::numeric_limits<std::int64_t>::max();
  for (int i = 0; i < kRoundTrips; ++i) {
    ClockSample s{rank, phase, now_ns(), 0, 0};
    const char ping = 0;
    MPI_Send(&ping, 1, MPI_CHAR, 0, kTag, leaders);
    MPI_Recv(&s.root_ns, 1, MPI_INT64_T, 0, kTag, leaders, MPI_STATUS_IGNORE);
    s.local_recv_ns = now_ns();
    samples.push_back(s);
    const std::int64_t trip = s.local_recv_ns - s.local_send_ns;
    if (trip < best) {
      best = trip;
      estimate.round_trip_ns = trip;
      estimate.local_ns = s.local_send_ns + trip / 2;
      estimate.offset_ns = s.root_ns - estimate.local_ns;
    }
  }
  return samples;
}

}  // namespace

std::vector<ClockSample> measure_clock(MPI_Comm leaders, MPI_Comm node, int rank, int phase,
                                       ClockEstimate& estimate) {
  std::vector<ClockSample> samples;
  if (leaders != MPI_COMM_NULL) samples = ping_first_leader(leaders, rank, phase, estimate);
  std::int64_t shared[3] = {estimate.local_ns, estimate.offset_ns, estimate.round_trip_ns};
  MPI_Bcast(shared, 3, MPI_INT64_T, 0, node);
  estimate = {shared[0], shared[1], shared[2]};
  return samples;
}

ClockModel::ClockModel(const ClockEstimate& start, const ClockEstimate& end) : start_(start) {
  const auto span = end.local_ns - start.local_ns;
  if (span > 0) drift_ = double(end.offset_ns - start.offset_ns) / double(span);
}

std::int64_t ClockModel::to_root(std::int64_t local_ns) const {
  const double correction = drift_ * double(local_ns - start_.local_ns);
  return local_ns + start_.offset_ns + static_cast<std::int64_t>(std::llround(correction));
}

}  // namespace hybridscope::trace
