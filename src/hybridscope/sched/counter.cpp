#include "hybridscope/sched/counter.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <random>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/log.hpp"
#include "hybridscope/mpi/session.hpp"

namespace hybridscope::sched {

namespace {
constexpr std::size_t kSegmentBytes = 64;  // one cache line
static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "a process-shared counter needs a lock-free 64-bit atomic");

std::string segment_name() {
  std::random_device entropy;
  return fmt::format("/hybridscope-{}-{:08x}", ::getpid(), entropy());
}

void* map_segment(int fd, std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return p == MAP_FAILED ? nullptr : p;
}

// Rank 0 creates and initialises the segment and returns its name; throws Error when it cannot.
std::string create_segment(void*& mapping, std::size_t bytes) {
  const auto name = segment_name();
  const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  if (fd < 0) throw Error(fmt::format("cannot create shared memory {}: {}", name, std::strerror(errno)));
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0 || !(mapping = map_segment(fd, bytes))) {
    const int error = errno;
    ::shm_unlink(name.c_str());
    ::close(fd);
    throw Error(fmt::format("cannot size or map shared memory {}: {}", name, std::strerror(error)));
  }
  ::close(fd);
  std::memset(mapping, 0, bytes);  // ftruncate zero-fills too; all-zero bytes are every user's start
  return name;
}

void* attach_segment(const std::string& name, std::size_t bytes) {
  void* mapping = nullptr;
  const int fd = ::shm_open(name.c_str(), O_RDWR, 0600);
  if (fd >= 0) {
    mapping = map_segment(fd, bytes);
    ::close(fd);
  }
  if (!mapping) throw Error(fmt::format("cannot map shared memory {}: {}", name, std::strerror(errno)));
  return mapping;
}
}  // namespace

NodeSegment::NodeSegment(MPI_Comm comm, std::size_t bytes) : bytes_(std::max(bytes, kSegmentBytes)) {
  const bool root = mpi::rank(comm) == 0;
  const auto name = mpi::bcast_string(comm, mpi::on_root(comm, [&] { return create_segment(mapping_, bytes_); }), 0);
  try {
    mpi::on_every_rank(comm, [&] {
      if (!root) mapping_ = attach_segment(name, bytes_);
    });
  } catch (...) {
    if (root) ::shm_unlink(name.c_str());
    if (mapping_) ::munmap(mapping_, bytes_);
    throw;
  }
  // Every rank has mapped it, so the name can go: nothing is left behind, even after a crash.
  if (root) ::shm_unlink(name.c_str());
}

NodeSegment::~NodeSegment() { ::munmap(mapping_, bytes_); }

SharedCounter::SharedCounter(MPI_Comm comm)
    : segment_(comm), value_(static_cast<std::atomic<std::uint64_t>*>(segment_.data())) {}

std::uint64_t SharedCounter::fetch_add(std::uint64_t delta) {
  return value_->fetch_add(delta, std::memory_order_relaxed);
}

RmaCounter::RmaCounter(MPI_Comm comm, std::chrono::microseconds progress_interval)
    : progress_interval_(progress_interval) {
  MPI_Comm_dup(comm, &comm_);
  rank_ = mpi::rank(comm_);
  void* base = nullptr;
  const MPI_Aint bytes = rank_ == 0 ? sizeof(std::uint64_t) : 0;
  // A one-sided component that cannot work here fails the window's creation, maybe on some ranks
  // only: every rank learns whether all succeeded. A window that exists on some ranks only cannot
  // be freed (MPI_Win_free is collective): it is left to MPI_Finalize.
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  const int code = MPI_Win_allocate(bytes, sizeof(std::uint64_t), MPI_INFO_NULL, comm_, &base, &window_);
  int created = code == MPI_SUCCESS;
  MPI_Allreduce(MPI_IN_PLACE, &created, 1, MPI_INT, MPI_MIN, comm_);
  if (!created) {
    const auto why = mpi::first_failure(comm_, code == MPI_SUCCESS ? std::string{} : mpi::error_string(code));
    MPI_Comm_free(&comm_);
    throw OneSidedUnavailable(fmt::format("MPI_Win_allocate failed: {}", why));
  }
  if (bytes) *static_cast<std::uint64_t*>(base) = 0;
  MPI_Barrier(comm_);  // the counter is zero before anyone adds to it
  MPI_Win_lock_all(MPI_MODE_NOCHECK, window_);
}

RmaCounter::~RmaCounter() {
  stop_.store(true);
  if (progress_.joinable()) progress_.join();
  MPI_Win_unlock_all(window_);
  MPI_Win_free(&window_);
  MPI_Comm_free(&comm_);
}

void RmaCounter::drive_progress() {
  // Any MPI call runs the progress engine; a probe that never matches is the cheapest one.
  while (!stop_.load(std::memory_order_relaxed)) {
    {
      std::lock_guard lock(mpi::helper_mutex());
      int flag = 0;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, MPI_STATUS_IGNORE);
    }
    std::this_thread::sleep_for(progress_interval_);
  }
}

std::uint64_t RmaCounter::fetch_add(std::uint64_t delta) {
  if (rank_ == 0)
    std::call_once(progress_started_, [this] { progress_ = std::thread([this] { drive_progress(); }); });
  std::lock_guard lock(mpi::helper_mutex());
  std::uint64_t previous = 0;
  MPI_Fetch_and_op(&delta, &previous, MPI_UINT64_T, 0, 0, MPI_SUM, window_);
  MPI_Win_flush(0, window_);
  return previous;
}

namespace {
constexpr int kRequestTag = 1, kReplyTag = 2, kDoneTag = 3;
// A node's batch is the chunks left over (its estimate of them) divided by this many per node: the
// first batch of 2 nodes is a quarter of the chunks, and they shrink to 1 near the end. (4 per node
// made twice the global fetches and cost the remote rank twice the hand-out time: README, "Running on
// several nodes".)
constexpr std::uint64_t kBatchesPerNode = 2;
constexpr std::chrono::microseconds kSlowestPoll{250};
}  // namespace

// The node's current batch [next, end) and what it has seen of the global counter, under a spin
// lock that the ranks of the node share. All zero at first: an empty batch.
struct NodeBatchCounter::Batch {
  std::atomic<int> lock;
  std::uint64_t next, end, seen;
};
static_assert(sizeof(std::atomic<int>) + 3 * sizeof(std::uint64_t) + 8 <= kSegmentBytes);
static_assert(std::atomic<int>::is_always_lock_free, "a process-shared lock needs a lock-free atomic");

NodeBatchCounter::NodeBatchCounter(MPI_Comm comm, MPI_Comm node, std::uint64_t chunks, int nodes,
                                   std::unique_ptr<ChunkCounter> global)
    : segment_(node), batch_(static_cast<Batch*>(segment_.data())), chunks_(chunks), nodes_(std::max(nodes, 1)),
      global_(std::move(global)), name_(fmt::format("{}, in batches per node", global_->name())),
      root_(mpi::rank(comm) == 0) {}

std::uint64_t NodeBatchCounter::fetch_add(std::uint64_t delta) {
  // The global counter starts rank 0's progress or server thread with rank 0's first fetch, which a
  // batch taken by another rank of its node could otherwise leave waiting, and the other nodes too.
  if (root_) std::call_once(global_started_, [this] { global_->fetch_add(0); });
  // Held across the global fetch: the node's other ranks would only wait for that batch anyway.
  while (batch_->lock.exchange(1, std::memory_order_acquire))
    while (batch_->lock.load(std::memory_order_relaxed)) std::this_thread::yield();
  std::uint64_t previous;
  if (delta == 1 && batch_->next < batch_->end) {
    previous = batch_->next++;
  } else if (delta >= chunks_) {
    // A cancel: every rank's next fetch, on this node and every other, must come back empty.
    batch_->next = batch_->end;
    previous = global_->fetch_add(delta);
  } else if (delta != 1) {
    previous = global_->fetch_add(delta);
  } else {
    const std::uint64_t left = chunks_ > batch_->seen ? chunks_ - batch_->seen : 0;
    const std::uint64_t size = std::max<std::uint64_t>(1, left / (kBatchesPerNode * std::uint64_t(nodes_)));
    const std::uint64_t begin = global_->fetch_add(size);
    batch_->seen = begin + size;
    batch_->end = begin + size;
    batch_->next = begin + 1;
    previous = begin;
  }
  batch_->lock.store(0, std::memory_order_release);
  return previous;
}

MessageCounter::MessageCounter(MPI_Comm comm, std::chrono::microseconds poll_interval)
    : poll_interval_(poll_interval) {
  MPI_Comm_dup(comm, &comm_);
  rank_ = mpi::rank(comm_);
  ranks_ = mpi::size(comm_);
}

MessageCounter::~MessageCounter() {
  if (rank_ == 0) {
    std::call_once(server_started_, [this] { server_ = std::thread([this] { serve(); }); });
    stop_.store(true);
    server_.join();
  } else {
    const std::uint64_t none = 0;
    MPI_Send(&none, 1, MPI_UINT64_T, 0, kDoneTag, comm_);
  }
  MPI_Comm_free(&comm_);
}

bool MessageCounter::serve_one() {
  std::lock_guard lock(mpi::helper_mutex());
  int waiting = 0;
  MPI_Status status;
  MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &waiting, &status);
  if (!waiting) return false;
  std::uint64_t delta = 0;
  MPI_Recv(&delta, 1, MPI_UINT64_T, status.MPI_SOURCE, status.MPI_TAG, comm_, MPI_STATUS_IGNORE);
  if (status.MPI_TAG == kDoneTag) {
    ++done_ranks_;
  } else {
    const std::uint64_t previous = value_.fetch_add(delta, std::memory_order_relaxed);
    MPI_Send(&previous, 1, MPI_UINT64_T, status.MPI_SOURCE, kReplyTag, comm_);
  }
  return true;
}

void MessageCounter::serve() {
  // Until rank 0 is done itself and every other rank has said it will ask no more. Idle, it looks
  // less and less often, up to every kSlowestPoll: behind batches per node requests are rare, and
  // 20,000 wake-ups a second would take a tenth of a core from the ranks computing beside it.
  auto interval = poll_interval_;
  while (!stop_.load(std::memory_order_relaxed) || done_ranks_ < ranks_ - 1) {
    if (serve_one()) {
      interval = poll_interval_;
    } else {
      std::this_thread::sleep_for(interval);
      interval = std::min(interval * 2, kSlowestPoll);
    }
  }
}

std::uint64_t MessageCounter::fetch_add(std::uint64_t delta) {
  if (rank_ == 0) {
    std::call_once(server_started_, [this] { server_ = std::thread([this] { serve(); }); });
    return value_.fetch_add(delta, std::memory_order_relaxed);
  }
  std::lock_guard lock(mpi::helper_mutex());
  std::uint64_t previous = 0;
  MPI_Send(&delta, 1, MPI_UINT64_T, 0, kRequestTag, comm_);
  MPI_Recv(&previous, 1, MPI_UINT64_T, 0, kReplyTag, comm_, MPI_STATUS_IGNORE);
  return previous;
}

// How often rank 0's progress thread enters MPI: a fetch waits at most about this long for it, and
// 20,000 empty probes a second cost rank 0 little.
constexpr std::chrono::microseconds kProgressInterval{50};

namespace {
// The counter over all ranks of comm, by one-sided MPI where it works, else by messages.
std::unique_ptr<ChunkCounter> make_global_counter(MPI_Comm comm) {
  try {
    return std::make_unique<RmaCounter>(comm, kProgressInterval);
  } catch (const OneSidedUnavailable& e) {
    log::warning(fmt::format("MPI one-sided communication does not work here ({}): chunks go by messages to "
                             "rank 0 instead", e.what()));
    return std::make_unique<MessageCounter>(comm, kProgressInterval);
  }
}
}  // namespace

std::unique_ptr<ChunkCounter> make_counter(MPI_Comm comm, MPI_Comm node, CounterMode mode, int nodes,
                                           int provided_thread_level, std::uint64_t chunks) {
  if (mode == CounterMode::automatic) mode = nodes == 1 ? CounterMode::shared : CounterMode::rma;
  if (mode == CounterMode::shared) {
    if (nodes != 1)
      throw InputError(fmt::format("counter = \"shared\" needs all ranks on one node, but they run on "
                                   "{} nodes (accepted here: \"auto\", \"rma\")", nodes));
    return std::make_unique<SharedCounter>(comm);
  }
  if (provided_thread_level < MPI_THREAD_SERIALIZED)
    throw Error(fmt::format("the MPI chunk counter needs MPI_THREAD_SERIALIZED, but this MPI provides "
                            "{}; run on one node or use a static strategy",
                            mpi::thread_level_name(provided_thread_level)));
  auto global = make_global_counter(comm);
  if (nodes == 1) return global;
  return std::make_unique<NodeBatchCounter>(comm, node, chunks, nodes, std::move(global));
}

}  // namespace hybridscope::sched
