#pragma once
// A run's progress while it goes: the line rank 0 prints and the status file it replaces about once
// a second (docs/status-format.md).
//
// How the counts reach rank 0 without slowing the items: every thread stores its item count and
// busy time in its own cache line after each item (relaxed stores, no lock, no MPI). The lines of
// all ranks of a node lie in one POSIX shared-memory segment of that node, which rank 0 reads
// directly for its own node. On every other node the first rank runs a helper thread that, once a
// second, sends its node's per-rank sums to rank 0 with a non-blocking MPI_Isend (skipped while
// the previous one is still under way), holding mpi::helper_mutex() as the chunk counters' threads
// do. So static strategies, which make no MPI call while they run, are counted the same way as
// dynamic ones, and nothing a rank does for progress can block it: rank 0 receives what has come,
// and the last messages are collected once the items are over (finish(), collective).
#include <mpi.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hybridscope/exec/executor.hpp"
#include "hybridscope/mpi/placement.hpp"
#include "hybridscope/timeline/status.hpp"

namespace hybridscope::sched {
class NodeSegment;
}

namespace hybridscope {

// How `hybridscope run` shows its progress (README, "Watching a run").
struct ProgressOptions {
  bool quiet = false;                 // --quiet: no progress, no summary
  std::optional<double> every_s;      // --progress SECONDS: plain lines every SECONDS (0: none)
  std::string status_path;            // the status file; empty: none
  std::string timeline;               // the timeline's final path, named in the status file
};

// Where progress lines go when --progress is not given: rewritten in place on a terminal, else a
// plain line every kPlainProgressSeconds.
inline constexpr double kPlainProgressSeconds = 60;

// Whether the user sees this process's stdout on a terminal. Under Open MPI's mpirun a rank's stdout
// is a pipe or pseudo-terminal that mpirun reads and copies to its own stdout, which may be a file:
// what counts is mpirun's stdout, the rank's parent's.
bool stdout_reaches_terminal();

// What rank 0 knows of the run before it starts.
struct ProgressPlan {
  std::uint64_t planned = 0;
  std::vector<std::optional<std::uint64_t>> rank_planned;  // each rank's static share, if static
  std::string strategy, workload;
};

class ProgressReporter {
public:
  // Collective over comm.
  ProgressReporter(MPI_Comm comm, const mpi::Placement& placement, int threads, int provided_thread_level,
                   const ProgressOptions& options, ProgressPlan plan);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // This rank's threads' lines, for exec::execute; null when progress is off.
  exec::ThreadProgress* threads() const { return mine_; }
  // Starts the helper thread; call after the last collective before the items run.
  void start();
  // Stops and joins it (rank 0 clears its line first); call before this thread calls MPI again.
  void stop();
  // Collective: the last messages of the other nodes' leaders reach rank 0, and the reporter's
  // communicator is freed.
  void finish();

private:
  struct Node;  // what rank 0 knows of one node
  // Collective: maps this node's threads' lines; false on every rank when progress is off or a node
  // cannot share memory.
  bool share_node_memory(MPI_Comm comm, MPI_Comm node);
  void learn_nodes(const std::vector<int>& leaders, bool across_nodes);  // rank 0
  void choose_lines();  // rank 0: in place at a terminal, else plain lines, or none
  bool wait_for_stop(std::chrono::milliseconds timeout);
  void report_on_root();
  void send_from_leader();
  void receive_from_leaders(bool blocking_until_done);
  std::vector<Node>::iterator node_led_by(int leader);
  timeline::Status snapshot();
  double elapsed_s();
  std::int64_t fill_ranks(timeline::Status& status);  // returns the busy time of all threads
  void record_history(const timeline::Status& status, std::int64_t busy_ns);
  void show(const timeline::Status& status, bool final);

  MPI_Comm comm_ = MPI_COMM_NULL;  // private duplicate, only when ranks span several nodes
  int rank_ = 0;
  int threads_ = 1;
  bool enabled_ = false;
  bool leader_elsewhere_ = false;  // the first rank of a node other than rank 0's
  int remote_leaders_ = 0;         // rank 0: how many such leaders send to it
  ProgressOptions options_;
  ProgressPlan plan_;
  int ranks_ = 1;
  std::vector<std::string> hosts_;  // of every rank, on rank 0 (mpi::Placement)
  int nodes_ = 1;
  int local_size_ = 1;
  std::unique_ptr<sched::NodeSegment> segment_;
  exec::ThreadProgress* node_threads_ = nullptr;  // every thread of the node, by local rank
  exec::ThreadProgress* mine_ = nullptr;
  std::vector<Node> known_;  // rank 0
  std::vector<std::uint64_t> send_buffer_;
  MPI_Request pending_ = MPI_REQUEST_NULL;
  bool terminal_ = false;
  double line_every_s_ = 0;  // 0: no lines
  std::chrono::steady_clock::time_point started_;
  std::vector<timeline::StatusSample> history_;
  std::int64_t history_busy_ns_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<std::chrono::steady_clock::time_point> stopped_;  // guarded by mutex_
  std::thread helper_;
};

// Rank 0, when `hybridscope run` ends however it ends: the status file at `path` says so.
void mark_status_ended(const std::string& path, const std::string& outcome, int exit_code,
                       std::optional<std::uint64_t> done = std::nullopt);

}  // namespace hybridscope
