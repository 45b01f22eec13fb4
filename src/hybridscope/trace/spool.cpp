#include "hybridscope/trace/spool.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "hybridscope/core/error.hpp"

namespace hybridscope::trace {

namespace {
int open_scratch_file(const std::string& dir) {
  std::string pattern = (std::filesystem::path(dir) / "hybridscope-spool-XXXXXX").string();
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0)
    throw Error(fmt::format("cannot create the timeline spool file in '{}' (set TMPDIR to a writable "
                            "directory): {}", dir, std::strerror(errno)));
  // Unlinked at once: the file disappears with the process, however it ends.
  ::unlink(pattern.c_str());
  return fd;
}

bool write_all(int fd, const void* data, std::size_t bytes, std::uint64_t offset) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const auto n = ::pwrite(fd, p, bytes, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    bytes -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}
}  // namespace

Spool::Spool(std::size_t memory_bytes, int threads, const std::string& dir)
    : fd_(open_scratch_file(dir)), offsets_(threads), lost_per_thread_(threads, 0) {
  const std::size_t count = std::max<std::size_t>(2 * threads, memory_bytes / sizeof(Block));
  // One allocation, not zeroed: the pages are only touched when a thread first fills a block, so
  // a rank that records little costs little (64 ranks zeroing 64 MiB each took seconds to start).
  storage_.reset(new Block[count]);
  blocks_ = count;
  free_.reserve(count);
  pending_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) free_.push_back(&storage_[i]);
  writer_ = std::thread([this] { write_blocks(); });
}

Spool::~Spool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_writer_.notify_one();
  writer_.join();
  ::close(fd_);
}

Block* Spool::acquire() noexcept {
  std::lock_guard lock(mutex_);
  if (free_.empty()) return nullptr;
  Block* block = free_.back();
  free_.pop_back();
  return block;
}

void Spool::submit(int thread, Block* block) noexcept {
  {
    std::lock_guard lock(mutex_);
    pending_.push_back({thread, block});
  }
  wake_writer_.notify_one();
}

void Spool::write_blocks() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_writer_.wait(lock, [&] { return stop_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, and nothing left to write
    const Pending next = pending_.front();
    pending_.erase(pending_.begin());
    writing_ = true;
    const std::uint64_t offset = file_end_;
    lock.unlock();
    const bool ok = write_all(fd_, next.block, sizeof(Block), offset);
    const int error = errno;
    lock.lock();
    if (ok) {
      offsets_[next.thread].push_back(offset);
      file_end_ += sizeof(Block);
    } else {
      lost_ += kBlockIntervals;
      lost_per_thread_[next.thread] += kBlockIntervals;
      if (failure_.empty()) failure_ = fmt::format("timeline spool file: {}", std::strerror(error));
    }
    free_.push_back(next.block);
    writing_ = false;
    if (pending_.empty()) idle_.notify_all();
  }
}

void Spool::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return pending_.empty() && !writing_; });
}

std::uint64_t Spool::spooled(int thread) const { return offsets_[thread].size() * kBlockIntervals; }

void Spool::for_each_spooled(int thread,
                             const std::function<void(const Interval*, std::size_t)>& visit) const {
  auto block = std::make_unique<Block>();
  for (const std::uint64_t offset : offsets_[thread]) {
    char* p = reinterpret_cast<char*>(block.get());
    std::size_t done = 0;
    while (done < sizeof(Block)) {
      const auto n = ::pread(fd_, p + done, sizeof(Block) - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw Error(fmt::format("cannot read back the timeline spool file: {}",
                                          n < 0 ? std::strerror(errno) : "file is short"));
      done += static_cast<std::size_t>(n);
    }
    visit(block->intervals, kBlockIntervals);
  }
}

}  // namespace hybridscope::trace
