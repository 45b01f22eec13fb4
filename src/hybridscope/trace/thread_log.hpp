#pragma once
// What one thread did, as a gap-free sequence of intervals: each close() ends the interval that the
// previous one started. Recording fills blocks from the rank's Spool; the hot path never throws,
// waits or allocates, and intervals that find no free block are counted as dropped.
#include <sched.h>

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "hybridscope/core/clock.hpp"
#include "hybridscope/trace/interval.hpp"
#include "hybridscope/trace/spool.hpp"

namespace hybridscope::trace {

class ThreadLog {
public:
  // Without a spool only the per-kind totals are kept.
  ThreadLog() = default;
  ThreadLog(Spool* spool, int thread) : spool_(spool), thread_(thread) {}
  // The spool owns the blocks and must outlive the log.

  void start(std::int64_t begin_ns) noexcept {
    last_ns_ = begin_ns;
    cpu_ = sched_getcpu();
    if (spool_ && !block_) block_ = spool_->acquire();
  }

  // Starts measuring the thread's CPU time for the interval the next close() ends; recorded if that
  // interval is work or io. Call it where an item (or a slice of one) begins. The thread CPU clock
  // is a system call (about 1.3 us on a KVM guest), so only items long enough that two reads cost
  // under 1 % of them are all measured; of shorter ones, one in kCpuSampleEvery.
  void mark_cpu() noexcept {
    if (last_item_ns_ >= kCpuMeasureEveryItemAboveNs || ++unmeasured_items_ >= kCpuSampleEvery) {
      unmeasured_items_ = 0;
      cpu_mark_ns_ = thread_cpu_ns();
    }
  }

  // Ends the current interval now, as `kind`, and starts the next one.
  void close(Activity kind, std::uint64_t chunk = kNone, std::uint64_t item = kNone) noexcept {
    close_at(now_ns(), kind, chunk, item);
  }
  // The same, at a time taken by the caller (so that several logs can end at one instant).
  void close_at(std::int64_t now, Activity kind, std::uint64_t chunk = kNone,
                std::uint64_t item = kNone) noexcept {
    std::int64_t cpu_ns = -1;
    if (in_item(kind)) {
      last_item_ns_ = now - last_ns_;
      if (cpu_mark_ns_ >= 0) {
        cpu_ns = thread_cpu_ns() - cpu_mark_ns_;
        item_cpu_ns_ += cpu_ns;
        measured_item_ns_ += last_item_ns_;
      }
    }
    cpu_mark_ns_ = -1;
    totals_ns_[static_cast<std::size_t>(kind)] += now - last_ns_;
    if (spool_) record({last_ns_, now, chunk, item, cpu_ns, cpu_, kind});
    last_ns_ = now;
    cpu_ = sched_getcpu();
  }

  std::int64_t total_ns(Activity kind) const { return totals_ns_[static_cast<std::size_t>(kind)]; }
  // CPU time used in the work and io intervals that were measured (see mark_cpu), and their length.
  std::int64_t item_cpu_ns() const { return item_cpu_ns_; }
  std::int64_t measured_item_ns() const { return measured_item_ns_; }
  std::uint64_t dropped() const { return dropped_; }
  std::uint64_t recorded() const { return spool_ ? spool_->spooled(thread_) + used_ : 0; }

  // Visits the recorded intervals in order, in pieces; call after recording and Spool::drain().
  void for_each(const std::function<void(const Interval*, std::size_t)>& visit) const {
    if (!spool_) return;
    spool_->for_each_spooled(thread_, visit);
    if (block_ && used_) visit(block_->intervals, used_);
  }
  // All recorded intervals at once, for tests and small runs.
  std::vector<Interval> intervals() const {
    std::vector<Interval> out;
    for_each([&](const Interval* p, std::size_t n) { out.insert(out.end(), p, p + n); });
    return out;
  }

private:
  void record(const Interval& interval) noexcept {
    if (block_ && used_ == kBlockIntervals) {
      spool_->submit(thread_, block_);
      block_ = spool_->acquire();
      used_ = 0;
    }
    if (!block_) {
      // The writer is behind; try again at the next interval, which may find a block returned.
      block_ = spool_->acquire();
      if (!block_) {
        ++dropped_;
        return;
      }
    }
    block_->intervals[used_++] = interval;
  }

  Spool* spool_ = nullptr;
  int thread_ = 0;
  Block* block_ = nullptr;
  std::size_t used_ = 0;
  std::int64_t last_ns_ = 0;
  std::int32_t cpu_ = -1;
  std::array<std::int64_t, kActivityCount> totals_ns_{};
  static constexpr std::int64_t kCpuMeasureEveryItemAboveNs = 250'000;
  static constexpr int kCpuSampleEvery = 64;
  std::int64_t cpu_mark_ns_ = -1;
  std::int64_t last_item_ns_ = kCpuMeasureEveryItemAboveNs;  // so that the first item is measured
  int unmeasured_items_ = 0;
  std::int64_t item_cpu_ns_ = 0;
  std::int64_t measured_item_ns_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace hybridscope::trace
