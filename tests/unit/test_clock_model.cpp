// trace::ClockModel maps a rank's clock onto rank 0's: the offset measured at the start, plus a drift
// interpolated linearly to the offset measured at the end. trace::Recording::run_time puts the
// result on the run's time base (ns since the origin). Every expected value is worked out by hand.
#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "hybridscope/trace/clock_sync.hpp"
#include "hybridscope/trace/recording.hpp"
#include "hybridscope/trace/thread_log.hpp"

namespace hybridscope::trace {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kHour = 3600 * kSecond;

ClockEstimate estimate(std::int64_t local_ns, std::int64_t offset_ns) { return {local_ns, offset_ns, 0}; }

TEST(ClockModel, DefaultIsTheIdentity) {
  const ClockModel model;
  for (const std::int64_t t : {std::int64_t{0}, std::int64_t{1}, 5 * kHour, -kSecond})
    EXPECT_EQ(model.to_root(t), t);
}

TEST(ClockModel, ConstantOffsetIsAdded) {
  const ClockModel model(estimate(1000, 500), estimate(2000, 500));
  EXPECT_EQ(model.to_root(1000), 1500);
  EXPECT_EQ(model.to_root(1500), 2000);
  EXPECT_EQ(model.to_root(2000), 2500);
  EXPECT_EQ(model.to_root(0), 500);                    // before the start: the same offset
  EXPECT_EQ(model.to_root(10 * kHour), 10 * kHour + 500);  // long after the end: likewise
}

TEST(ClockModel, DriftIsInterpolatedLinearlyBetweenTheEstimates) {
  // Offset 1000 ns at local 1 s, 3000 ns at local 3 s: the offset grows by 2000 ns over 2 s of local
  // time, a drift of 1 ns per ms (1e-6).
  const ClockModel model(estimate(1 * kSecond, 1000), estimate(3 * kSecond, 3000));
  EXPECT_EQ(model.to_root(1 * kSecond), 1 * kSecond + 1000);  // the start estimate
  EXPECT_EQ(model.to_root(2 * kSecond), 2 * kSecond + 2000);  // halfway: halfway between the offsets
  EXPECT_EQ(model.to_root(1'500'000'000), 1'500'000'000 + 1500);
  EXPECT_EQ(model.to_root(3 * kSecond), 3 * kSecond + 3000);  // the end estimate
  EXPECT_EQ(model.to_root(5 * kSecond), 5 * kSecond + 5000);  // extrapolated after the end
  EXPECT_EQ(model.to_root(0), 0);                             // and before the start: 1000 - 1000
  // One ms of local time is one ns of drift.
  EXPECT_EQ(model.to_root(1 * kSecond + 1'000'000) - model.to_root(1 * kSecond), 1'000'000 + 1);
}

TEST(ClockModel, NegativeOffsetOfHoursWithNegativeDrift) {
  // This rank's clock is 3 h ahead of rank 0's (it booted 3 h earlier) and runs 0.5 ns per ms fast:
  // at local 5 h the offset is -3 h; a minute later it is -3 h - 30 us. Drift = -30'000 / 60e9 = -5e-7.
  const std::int64_t start = 5 * kHour;  // 18'000'000'000'000
  const ClockModel model(estimate(start, -3 * kHour), estimate(start + 60 * kSecond, -3 * kHour - 30'000));
  EXPECT_EQ(model.to_root(start), 2 * kHour);  // 7'200'000'000'000
  EXPECT_EQ(2 * kHour, 7'200'000'000'000);
  // 20 s in: correction -5e-7 x 20e9 = -10'000 ns.
  EXPECT_EQ(model.to_root(start + 20 * kSecond), 7'219'999'990'000);
  // At the end: exactly the end offset.
  EXPECT_EQ(model.to_root(start + 60 * kSecond), 7'259'999'970'000);
  EXPECT_EQ(model.to_root(start + 60 * kSecond), start + 60 * kSecond - 3 * kHour - 30'000);
  // 60 s before the start, extrapolated: the offset was -3 h + 30 us.
  EXPECT_EQ(model.to_root(start - 60 * kSecond), 7'140'000'030'000);
  // The correction is rounded to the nearest ns: -1.4999995 -> -1, -1.5000005 -> -2.
  EXPECT_EQ(model.to_root(start + 2'999'999), 2 * kHour + 2'999'999 - 1);
  EXPECT_EQ(model.to_root(start + 3'000'001), 2 * kHour + 3'000'001 - 2);
}

TEST(ClockModel, EstimatesAreReproducedExactly) {
  // Whatever the two estimates, mapping their own local times gives back their own offsets.
  const std::vector<std::pair<ClockEstimate, ClockEstimate>> cases = {
      {estimate(0, 0), estimate(kSecond, 1)},
      {estimate(123'456'789, -987'654), estimate(123'456'789 + 7 * kSecond, -987'654 + 3'333)},
      {estimate(40 * kHour, 2 * kHour), estimate(40 * kHour + 600 * kSecond, 2 * kHour - 1'234'567)},
      {estimate(kSecond, -26 * kHour), estimate(kSecond + 1, -26 * kHour + 1)},  // a 1 ns span
  };
  for (const auto& [a, b] : cases) {
    const ClockModel model(a, b);
    EXPECT_EQ(model.to_root(a.local_ns), a.local_ns + a.offset_ns) << a.local_ns;
    EXPECT_EQ(model.to_root(b.local_ns), b.local_ns + b.offset_ns) << b.local_ns;
  }
}

TEST(ClockModel, ZeroSpanMeansNoDrift) {
  // Both estimates at the same local time (a run too short to measure twice apart): the start
  // offset alone, however different the end offset is.
  const ClockModel model(estimate(1000, -3 * kHour), estimate(1000, -3 * kHour + 999));
  EXPECT_EQ(model.to_root(1000), 1000 - 3 * kHour);
  EXPECT_EQ(model.to_root(0), -3 * kHour);
  EXPECT_EQ(model.to_root(1000 + kHour), 1000 + kHour - 3 * kHour);
  const ClockModel same(estimate(7, 42), estimate(7, 42));
  EXPECT_EQ(same.to_root(7), 49);
  EXPECT_EQ(same.to_root(7 + kSecond), 49 + kSecond);
}

TEST(Recording, RunTimeIsRootTimeMinusTheOrigin) {
  Recording r;
  EXPECT_EQ(r.run_time(12345), 12345);  // identity clock, origin 0
  // The rank of NegativeOffsetOfHoursWithNegativeDrift; the run began 5 us (on rank 0's clock)
  // before this rank's start estimate.
  const std::int64_t start = 5 * kHour;
  r.clock = ClockModel(estimate(start, -3 * kHour), estimate(start + 60 * kSecond, -3 * kHour - 30'000));
  r.origin_ns = 2 * kHour - 5'000;  // 7'199'999'995'000
  EXPECT_EQ(r.run_time(start), 5'000);
  EXPECT_EQ(r.run_time(start + 20 * kSecond), 7'219'999'990'000 - 7'199'999'995'000);  // 19'999'995'000
  EXPECT_EQ(r.run_time(start + 20 * kSecond), 19'999'995'000);
  EXPECT_EQ(r.run_time(start + 60 * kSecond), 59'999'975'000);
  EXPECT_EQ(r.run_time(start - 5'000), 0);  // the origin itself (-5e-7 x -5000 rounds to 0)
  // Only the model and the origin matter, not the rank's own begin and end or the estimates kept.
  r.begin_ns = 1;
  r.end_ns = 2;
  r.clock_start = estimate(0, 999);
  r.clock_end = estimate(1, 999);
  EXPECT_EQ(r.run_time(start), 5'000);
}

TEST(Recording, CountsWithoutSpoolAreZero) {
  Recording r;
  r.logs.resize(3);
  for (auto& log : r.logs) {
    log.start(0);
    log.close_at(10, Activity::work);
  }
  EXPECT_EQ(r.recorded(), 0u);
  EXPECT_EQ(r.dropped(), 0u);
}

}  // namespace
}  // namespace hybridscope::trace
