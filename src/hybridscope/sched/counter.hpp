#pragma once
// The global chunk counter behind dynamic and guided self-scheduling. Every rank takes chunks from
// it; no rank is a master that only hands out work.
//
// Two homes, because MPI passive-target atomics only make progress when the target rank enters MPI
// under the pt2pt and ucx one-sided components: a rank busy computing would stall every other
// rank's hand-out for the length of its items.
//  - SharedCounter: all ranks on one node. The counter is a lock-free atomic in a POSIX shared
//    memory segment, so hand-out never waits on another process and works whatever one-sided
//    component MPI uses (MPI_Win_allocate_shared fails when `--mca osc pt2pt` is forced).
//  - RmaCounter: ranks on several nodes. MPI_Fetch_and_op on a window of rank 0, with a progress
//    thread on rank 0 that enters MPI every `progress_interval` so those components stay live.
//    Its MPI calls and the hand-out's are serialised by mpi::helper_mutex(), so MPI_THREAD_SERIALIZED is
//    enough (Open MPI 4.1's pt2pt component refuses to run under MPI_THREAD_MULTIPLE).
//  - NodeBatchCounter: across nodes, in front of one of the two above: a node takes a batch of
//    chunks from the global counter and its ranks take them one by one from node shared memory,
//    so the network is crossed once per batch; batches shrink as the chunks run out, as guided's
//    chunks do, so that the tail stays balanced between nodes.
//  - MessageCounter: ranks on several nodes where no one-sided component works (Open MPI 4.1
//    picks `rdma` by default, which cannot create a window over TCP: MPI_ERR_WIN). Rank 0 keeps
//    the counter; the others ask for chunks with a message and its server thread answers.
#include <mpi.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "hybridscope/config/config.hpp"
#include "hybridscope/core/error.hpp"

namespace hybridscope::sched {

class ChunkCounter {
public:
  virtual ~ChunkCounter() = default;
  // Atomically adds `delta` and returns the previous value. Called by one thread of a rank at a time.
  virtual std::uint64_t fetch_add(std::uint64_t delta) = 0;
  virtual std::string_view name() const = 0;
  // Whether fetch_add is an MPI call (POP counts its time as MPI's, not the threads').
  virtual bool in_mpi() const = 0;
};

// `bytes` (at least 64) of POSIX shared memory mapped by every rank of comm (which must lie on one
// node), zero-filled; the name is removed once all have mapped it. Collective.
class NodeSegment {
public:
  explicit NodeSegment(MPI_Comm comm, std::size_t bytes = 64);
  ~NodeSegment();
  NodeSegment(const NodeSegment&) = delete;
  NodeSegment& operator=(const NodeSegment&) = delete;
  void* data() const { return mapping_; }

private:
  std::size_t bytes_;
  void* mapping_ = nullptr;
};

// Collective over comm (which must lie on one node).
class SharedCounter final : public ChunkCounter {
public:
  explicit SharedCounter(MPI_Comm comm);
  std::uint64_t fetch_add(std::uint64_t delta) override;
  std::string_view name() const override { return "node shared memory"; }
  bool in_mpi() const override { return false; }

private:
  NodeSegment segment_;
  std::atomic<std::uint64_t>* value_ = nullptr;
};

// Collective over comm; `node` holds the ranks of comm on this node (mpi::NodeComms::node()),
// `global` is a counter over all of comm, `chunks` the count handed out and `nodes` the number of
// nodes.
class NodeBatchCounter final : public ChunkCounter {
public:
  NodeBatchCounter(MPI_Comm comm, MPI_Comm node, std::uint64_t chunks, int nodes,
                   std::unique_ptr<ChunkCounter> global);
  std::uint64_t fetch_add(std::uint64_t delta) override;
  std::string_view name() const override { return name_; }
  bool in_mpi() const override { return true; }

private:
  struct Batch;  // in the node's segment
  NodeSegment segment_;
  Batch* batch_ = nullptr;
  std::uint64_t chunks_;
  int nodes_;
  std::unique_ptr<ChunkCounter> global_;
  std::string name_;
  bool root_ = false;  // rank 0 of comm, whose first fetch starts the global counter's helper thread
  std::once_flag global_started_;
};

// Collective over comm; destroy it on every rank once hand-out is over. Needs
// MPI_THREAD_SERIALIZED, and no other thread may call MPI while fetch_add may be called.
class RmaCounter final : public ChunkCounter {
public:
  RmaCounter(MPI_Comm comm, std::chrono::microseconds progress_interval);
  ~RmaCounter() override;
  std::uint64_t fetch_add(std::uint64_t delta) override;
  std::string_view name() const override { return "MPI RMA on rank 0"; }
  bool in_mpi() const override { return true; }

private:
  void drive_progress();

  MPI_Comm comm_ = MPI_COMM_NULL;  // private duplicate; the progress thread probes on it
  MPI_Win window_ = MPI_WIN_NULL;
  int rank_ = 0;
  std::chrono::microseconds progress_interval_;
  // Started by the first fetch_add on rank 0, so that it never overlaps the collectives before.
  std::once_flag progress_started_;
  std::atomic<bool> stop_{false};
  std::thread progress_;
};

// Thrown (on every rank alike) by RmaCounter when this MPI cannot create its window.
struct OneSidedUnavailable : Error {
  using Error::Error;
};

// Collective over comm; destroy it on every rank once hand-out is over (rank 0 serves until every
// other rank has said it is done). Same thread rules as RmaCounter.
class MessageCounter final : public ChunkCounter {
public:
  MessageCounter(MPI_Comm comm, std::chrono::microseconds poll_interval);
  ~MessageCounter() override;
  std::uint64_t fetch_add(std::uint64_t delta) override;
  std::string_view name() const override { return "MPI messages to rank 0"; }
  bool in_mpi() const override { return true; }

private:
  void serve();
  bool serve_one();  // answers one request or done message, if one is waiting

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int ranks_ = 1;
  std::chrono::microseconds poll_interval_;
  // Rank 0's. Atomic, so that rank 0's own fetches need neither MPI nor the mutex, which the server
  // thread holds while it is in MPI (and may be descheduled holding it).
  std::atomic<std::uint64_t> value_{0};
  int done_ranks_ = 0;       // the server's
  std::once_flag server_started_;
  std::atomic<bool> stop_{false};
  std::thread server_;
};

// Picks the counter for a layout; collective over comm. `node` holds the ranks of comm on this node
// (mpi::NodeComms::node()), `nodes` is the number of nodes in comm, `chunks` the number of chunks
// to hand out. Throws Error (on every rank alike) when the chosen mode
// cannot work here.
std::unique_ptr<ChunkCounter> make_counter(MPI_Comm comm, MPI_Comm node, CounterMode mode, int nodes,
                                           int provided_thread_level, std::uint64_t chunks);

}  // namespace hybridscope::sched
