#pragma once
// What one thread did, as a gap-free sequence of intervals: each close() ends the interval that the
// previous one started. The hot path never throws or allocates; intervals that do not fit are
// counted as dropped.
#include <sched.h>

#include <array>
#include <cstdint>
#include <vector>

#include "hybridscope/core/clock.hpp"

namespace hybridscope::trace {

enum class Activity : std::uint8_t { startup, work, io, idle, handout, lock_wait, shutdown };
inline constexpr std::size_t kActivityCount = 7;
inline constexpr std::uint64_t kNone = ~std::uint64_t{0};

struct Interval {
  std::int64_t begin_ns;
  std::int64_t end_ns;
  std::uint64_t chunk;
  std::uint64_t item;
  std::int32_t cpu;  // sched_getcpu() at the interval's start
  Activity kind;
};

class ThreadLog {
public:
  // Keeps up to `capacity` intervals in memory; totals are kept for all of them.
  explicit ThreadLog(std::size_t capacity = 0) { kept_.reserve(capacity); }

  void start(std::int64_t begin_ns) noexcept {
    last_ns_ = begin_ns;
    cpu_ = sched_getcpu();
  }

  // Ends the current interval now, as `kind`, and starts the next one.
  void close(Activity kind, std::uint64_t chunk = kNone, std::uint64_t item = kNone) noexcept {
    const std::int64_t now = now_ns();
    totals_ns_[static_cast<std::size_t>(kind)] += now - last_ns_;
    if (kept_.size() < kept_.capacity())
      kept_.push_back({last_ns_, now, chunk, item, cpu_, kind});
    else
      ++dropped_;
    last_ns_ = now;
    cpu_ = sched_getcpu();
  }

  std::int64_t total_ns(Activity kind) const { return totals_ns_[static_cast<std::size_t>(kind)]; }
  const std::vector<Interval>& intervals() const { return kept_; }
  std::uint64_t dropped() const { return kept_.capacity() ? dropped_ : 0; }

private:
  std::int64_t last_ns_ = 0;
  std::int32_t cpu_ = -1;
  std::array<std::int64_t, kActivityCount> totals_ns_{};
  std::vector<Interval> kept_;
  std::uint64_t dropped_ = 0;
};

}  // namespace hybridscope::trace
