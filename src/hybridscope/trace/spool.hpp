#pragma once
// Bounded memory for a rank's activity records. Threads fill fixed-size blocks; a full block goes to
// a writer thread that appends it to an unlinked scratch file and returns it to the pool. Memory is
// capped by the pool, whatever the run's length. If the writer falls behind and the pool runs dry,
// records are dropped and counted, never waited for: recording must not change what it measures.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hybridscope/trace/interval.hpp"

namespace hybridscope::trace {

inline constexpr std::size_t kBlockIntervals = 1024;

struct Block {
  Interval intervals[kBlockIntervals];
};

class Spool {
public:
  // `memory_bytes` caps the blocks (at least two per thread); the scratch file goes in `dir`.
  // Throws Error if the scratch file cannot be created.
  Spool(std::size_t memory_bytes, int threads, const std::string& dir);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // A free block, or nullptr when none is free. Never waits for I/O or allocates: it only holds the
  // pool's mutex for a pointer's pop, never while the writer writes.
  Block* acquire() noexcept;
  // Hands a full block of `thread` to the writer.
  void submit(int thread, Block* block) noexcept;

  // Waits until every submitted block is on disk. Call when recording has stopped.
  void drain();
  // Visits `thread`'s spooled intervals in the order they were recorded, in pieces.
  void for_each_spooled(int thread, const std::function<void(const Interval*, std::size_t)>& visit) const;
  std::uint64_t spooled(int thread) const;
  // Intervals lost because the scratch file could not take them (in all, or of one thread), and why.
  std::uint64_t lost() const { return lost_; }
  std::uint64_t lost(int thread) const { return lost_per_thread_[thread]; }
  const std::string& failure() const { return failure_; }
  std::size_t blocks() const { return blocks_; }

private:
  void write_blocks();

  struct Pending {
    int thread;
    Block* block;
  };

  std::unique_ptr<Block[]> storage_;
  std::size_t blocks_ = 0;
  int fd_ = -1;
  std::mutex mutex_;
  std::condition_variable wake_writer_, idle_;
  std::vector<Block*> free_;      // capacity reserved for every block: push_back never allocates
  std::vector<Pending> pending_;  // likewise
  bool writing_ = false;
  bool stop_ = false;
  std::uint64_t file_end_ = 0;
  std::vector<std::vector<std::uint64_t>> offsets_;  // per thread: file offsets of its blocks
  std::uint64_t lost_ = 0;
  std::vector<std::uint64_t> lost_per_thread_;
  std::string failure_;
  std::thread writer_;
};

}  // namespace hybridscope::trace
