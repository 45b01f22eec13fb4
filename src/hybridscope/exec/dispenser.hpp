#pragma once
// Hands a rank's items to its OpenMP threads one at a time, without a barrier per chunk: a thread
// that empties the current chunk fetches the next one while its siblings go on with the items they
// hold. Claiming an item is one compare-and-swap on a word that packs (chunk sequence, offset);
// the sequence in the word makes a claim against a chunk that was since replaced fail.
#include <atomic>
#include <cstdint>
#include <mutex>

#include "hybridscope/core/stop.hpp"
#include "hybridscope/sched/items.hpp"
#include "hybridscope/sched/plan.hpp"
#include "hybridscope/sched/source.hpp"
#include "hybridscope/trace/thread_log.hpp"

namespace hybridscope::exec {

struct Claim {
  std::uint64_t chunk;
  std::uint64_t item;
};

class ItemDispenser {
public:
  // The plan numbers the items of `items` (all of them when null: a run that is not resumed).
  ItemDispenser(const sched::ChunkPlan& plan, sched::ChunkSource& source, const sched::ItemSet* items = nullptr)
      : plan_(plan), source_(source), items_(items) {}

  // Claims the next item for the calling thread. Returns false when the rank has no work left.
  // Time spent getting a chunk is closed in `log` as hand-out (or idle, waiting for a sibling).
  bool next(Claim& claim, trace::ThreadLog& log) {
    for (;;) {
      std::uint64_t word = cursor_.load(std::memory_order_acquire);
      const Slot& slot = slots_[(word >> kOffsetBits) & 1];
      const std::uint64_t offset = word & kOffsetMask;
      if (offset < slot.size.load(std::memory_order_relaxed)) {
        const std::uint64_t begin = slot.begin.load(std::memory_order_relaxed);
        const std::uint64_t chunk = slot.chunk.load(std::memory_order_relaxed);
        if (stop_.load(std::memory_order_relaxed)) return false;
        if (stop::requested()) {
          cancel();
          return false;
        }
        if (cursor_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel)) {
          claim = {chunk, items_ ? items_->at(begin + offset) : begin + offset};
          return true;
        }
        continue;
      }
      if (!refill(word, log)) return false;
    }
  }

  // Stops the rank from starting further items (error or signal); items under way finish.
  void cancel() {
    if (stop_.exchange(true)) return;
    std::lock_guard lock(refill_mutex_);
    source_.cancel();
  }

private:
  static constexpr int kOffsetBits = 40;  // up to 2^40 items per chunk; config caps items at 10^12
  static constexpr std::uint64_t kOffsetMask = (std::uint64_t{1} << kOffsetBits) - 1;
  static constexpr std::uint64_t kSequenceMask = (std::uint64_t{1} << (64 - kOffsetBits)) - 1;

  struct Slot {
    std::atomic<std::uint64_t> begin{0};
    std::atomic<std::uint64_t> size{0};
    std::atomic<std::uint64_t> chunk{0};
  };

  // Fetches the chunk after the one `seen` points into, unless a sibling already did.
  bool refill(std::uint64_t seen, trace::ThreadLog& log) {
    std::unique_lock lock(refill_mutex_);
    if (cursor_.load(std::memory_order_acquire) != seen) {
      log.close(trace::Activity::idle);
      return true;
    }
    if (done_ || stop_.load(std::memory_order_relaxed)) return false;
    const auto index = source_.next();
    log.close(source_.fetch_activity());
    if (!index) {
      done_ = true;
      return false;
    }
    const auto range = plan_.chunk(*index);
    const std::uint64_t sequence = ((seen >> kOffsetBits) + 1) & kSequenceMask;
    Slot& slot = slots_[sequence & 1];
    slot.begin.store(range.begin, std::memory_order_relaxed);
    slot.size.store(range.size(), std::memory_order_relaxed);
    slot.chunk.store(*index, std::memory_order_relaxed);
    cursor_.store(sequence << kOffsetBits, std::memory_order_release);
    return true;
  }

  const sched::ChunkPlan& plan_;
  sched::ChunkSource& source_;
  const sched::ItemSet* items_;
  alignas(64) std::atomic<std::uint64_t> cursor_{0};  // sequence 0 is the empty chunk in slot 0
  std::atomic<bool> stop_{false};
  alignas(64) Slot slots_[2];
  std::mutex refill_mutex_;
  bool done_ = false;  // guarded by refill_mutex_
};

}  // namespace hybridscope::exec
