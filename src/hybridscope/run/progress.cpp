#include "hybridscope/run/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/log.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/sched/counter.hpp"

namespace hybridscope {

namespace {
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kDataTag = 1, kDoneTag = 2;
constexpr auto kStatusEvery = 1s;          // the status file and the leaders' messages
constexpr auto kTerminalEvery = 250ms;     // a line rewritten in place: a few times a second
constexpr double kHistoryEverySeconds = 10;
constexpr std::size_t kHistoryLength = 60;  // ten minutes of samples

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string first_line_of(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string link_target(const std::string& path) {
  char target[512];
  const auto n = ::readlink(path.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string{};
}

bool is_terminal_device(const std::string& path) {
  return path.starts_with("/dev/pts/") || path.starts_with("/dev/tty");
}

// The per-rank sums of one node's threads: [items of each local rank..., busy ns of each...].
void sum_node(const exec::ThreadProgress* threads, int ranks, int per_rank, std::vector<std::uint64_t>& out) {
  out.assign(2 * std::size_t(ranks), 0);
  for (int r = 0; r < ranks; ++r)
    for (int t = 0; t < per_rank; ++t) {
      const auto& slot = threads[std::size_t(r) * per_rank + t];
      out[r] += slot.items.load(std::memory_order_relaxed);
      out[ranks + r] += static_cast<std::uint64_t>(slot.busy_ns.load(std::memory_order_relaxed));
    }
}
}  // namespace

bool stdout_reaches_terminal() {
  if (const char* term = std::getenv("TERM"); term && std::string_view(term) == "dumb") return false;
  const auto parent = static_cast<long>(::getppid());
  const auto launcher = first_line_of(fmt::format("/proc/{}/comm", parent));
  if (launcher == "mpirun" || launcher == "mpiexec" || launcher == "orterun")
    return is_terminal_device(link_target(fmt::format("/proc/{}/fd/1", parent)));
  // orted (a rank on another node than mpirun) and slurmstepd copy output from a pipe, and the ranks
  // see that pipe: isatty says no there, as it should; without a launcher it is the plain answer.
  return ::isatty(STDOUT_FILENO) == 1;
}

// What rank 0 knows of one node: its ranks (in local order) and their latest sums.
struct ProgressReporter::Node {
  int leader = 0;
  std::vector<int> ranks;
  std::vector<std::uint64_t> sums;  // as sum_node lays them out
  std::optional<Clock::time_point> heard;
};

ProgressReporter::ProgressReporter(MPI_Comm comm, const mpi::Placement& placement, int threads,
                                   int provided_thread_level, const ProgressOptions& options, ProgressPlan plan)
    : rank_(placement.rank), threads_(threads), options_(options), plan_(std::move(plan)),
      ranks_(placement.ranks), hosts_(placement.hosts), nodes_(placement.nodes), local_size_(placement.local_size) {
  const MPI_Comm node = placement.comms->node();
  enabled_ = share_node_memory(comm, node);
  if (!enabled_) return;
  int leader = rank_;
  MPI_Bcast(&leader, 1, MPI_INT, 0, node);
  mine_ = node_threads_ + std::size_t(placement.local_rank) * threads;
  // Only rank 0 needs every rank's leader: gathered there, not to every rank (ranks^2 in all).
  std::vector<int> leaders(rank_ == 0 ? std::size_t(ranks_) : 0, 0);
  MPI_Gather(&leader, 1, MPI_INT, leaders.data(), 1, MPI_INT, 0, comm);
  // Messages need a helper thread in MPI beside the main one: MPI_THREAD_SERIALIZED at least.
  const bool across_nodes = nodes_ > 1 && provided_thread_level >= MPI_THREAD_SERIALIZED;
  if (across_nodes) MPI_Comm_dup(comm, &comm_);
  leader_elsewhere_ = across_nodes && placement.node_leader() && rank_ != 0;
  if (rank_ != 0) return;
  learn_nodes(leaders, across_nodes);
  choose_lines();
}

bool ProgressReporter::share_node_memory(MPI_Comm comm, MPI_Comm node) {
  // A hook for the benchmark of what progress costs: rank 0 decides for all.
  int on = !std::getenv("HYBRIDSCOPE_TEST_NO_PROGRESS");
  MPI_Bcast(&on, 1, MPI_INT, 0, comm);
  if (!on) return false;
  std::string failure;
  try {
    segment_ = std::make_unique<sched::NodeSegment>(
        node, sizeof(exec::ThreadProgress) * std::size_t(threads_) * std::size_t(local_size_));
    node_threads_ = static_cast<exec::ThreadProgress*>(segment_->data());
  } catch (const Error& e) {
    failure = e.what();
  }
  // Progress is never a reason to stop a run: where a node cannot share memory, it is off.
  int ok = failure.empty();
  MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm);
  if (!ok) log::warning(fmt::format("no progress display: {}", mpi::first_failure(comm, failure)));
  return ok;
}

std::vector<ProgressReporter::Node>::iterator ProgressReporter::node_led_by(int leader) {
  return std::find_if(known_.begin(), known_.end(), [&](const Node& n) { return n.leader == leader; });
}

void ProgressReporter::learn_nodes(const std::vector<int>& leaders, bool across_nodes) {
  for (int r = 0; r < int(leaders.size()); ++r) {
    auto at = node_led_by(leaders[r]);
    if (at == known_.end()) at = known_.insert(known_.end(), Node{leaders[r], {}, {}, {}});
    at->ranks.push_back(r);
  }
  for (auto& n : known_) n.sums.assign(2 * n.ranks.size(), 0);
  remote_leaders_ = across_nodes ? int(known_.size()) - 1 : 0;
}

void ProgressReporter::choose_lines() {
  if (options_.quiet || (options_.every_s && *options_.every_s == 0)) return;
  terminal_ = !options_.every_s && stdout_reaches_terminal();
  const double in_place_s = std::chrono::duration<double>(kTerminalEvery).count();
  line_every_s_ = options_.every_s ? *options_.every_s : terminal_ ? in_place_s : kPlainProgressSeconds;
}

// On an exception before finish(), the communicator is left to MPI_Finalize: freeing it is
// collective, and the other ranks may be elsewhere.
ProgressReporter::~ProgressReporter() { stop(); }

void ProgressReporter::start() {
  if (!enabled_) return;
  started_ = Clock::now();
  if (rank_ == 0) helper_ = std::thread([this] { report_on_root(); });
  else if (leader_elsewhere_) helper_ = std::thread([this] { send_from_leader(); });
}

void ProgressReporter::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) stopped_ = Clock::now();
    stopping_ = true;
  }
  wake_.notify_all();
  if (helper_.joinable()) helper_.join();
}

bool ProgressReporter::wait_for_stop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return wake_.wait_for(lock, timeout, [this] { return stopping_; });
}

void ProgressReporter::report_on_root() {
  // Wakes for the status file once a second, and more often only for lines due more often.
  using std::chrono::milliseconds;
  auto tick = std::chrono::duration_cast<milliseconds>(kStatusEvery);
  if (terminal_) tick = std::chrono::duration_cast<milliseconds>(kTerminalEvery);
  else if (line_every_s_ > 0) tick = std::min(tick, milliseconds(long(line_every_s_ * 1000)));
  double next_status = 0, next_line = terminal_ ? 0 : line_every_s_;
  bool stopping = false;
  while (!stopping) {
    stopping = wait_for_stop(tick);
    receive_from_leaders(false);
    auto status = snapshot();
    const double now = status.elapsed_s;
    if (stopping) status.state = "finishing";
    if (now >= next_status || stopping) {
      if (!options_.status_path.empty()) timeline::replace_status_file(options_.status_path, status);
      next_status = now + std::chrono::duration<double>(kStatusEvery).count();
    }
    if (line_every_s_ > 0 && (now >= next_line || stopping)) {
      show(status, stopping);
      next_line = now + line_every_s_;
    }
  }
}

void ProgressReporter::show(const timeline::Status& status, bool final) {
  std::string text;
  if (terminal_) text = final ? "\r\033[K" : fmt::format("\r{}\033[K", timeline::progress_line(status));
  else if (!final) text = fmt::format("progress   {}\n", timeline::progress_line(status));
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void ProgressReporter::send_from_leader() {
  do {
    std::lock_guard lock(mpi::helper_mutex());
    int sent = 1;
    if (pending_ != MPI_REQUEST_NULL) MPI_Test(&pending_, &sent, MPI_STATUS_IGNORE);
    if (!sent) continue;  // rank 0 has not taken the last one yet: never queue more
    sum_node(node_threads_, local_size_, threads_, send_buffer_);
    MPI_Isend(send_buffer_.data(), int(send_buffer_.size()), MPI_UINT64_T, 0, kDataTag, comm_, &pending_);
  } while (!wait_for_stop(std::chrono::duration_cast<std::chrono::milliseconds>(kStatusEvery)));
}

void ProgressReporter::receive_from_leaders(bool until_done) {
  if (remote_leaders_ == 0) return;
  std::unique_lock lock(mpi::helper_mutex(), std::defer_lock);
  if (!until_done) lock.lock();  // finish(): no helper thread is left to share MPI with
  for (int done = 0; !until_done || done < remote_leaders_;) {
    MPI_Status status;
    int waiting = 1;
    if (until_done) MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &status);
    else MPI_Iprobe(MPI_ANY_SOURCE, kDataTag, comm_, &waiting, &status);
    if (!waiting) return;
    auto node = node_led_by(status.MPI_SOURCE);
    std::vector<std::uint64_t> ignored(2 * local_size_);
    auto& into = node != known_.end() ? node->sums : ignored;
    MPI_Recv(into.data(), int(into.size()), MPI_UINT64_T, status.MPI_SOURCE, status.MPI_TAG, comm_, MPI_STATUS_IGNORE);
    if (node != known_.end()) node->heard = Clock::now();
    if (status.MPI_TAG == kDoneTag) ++done;
  }
}

timeline::Status ProgressReporter::snapshot() {
  timeline::Status s;
  s.timeline = options_.timeline;
  s.strategy = plan_.strategy;
  s.workload = plan_.workload;
  s.ranks = ranks_;
  s.threads = threads_;
  s.nodes = nodes_;
  for (const auto& n : known_) s.hosts.push_back(hosts_[n.ranks.front()]);
  s.planned = plan_.planned;
  s.elapsed_s = elapsed_s();
  s.heartbeat_unix = unix_now();
  s.interval_s = std::chrono::duration<double>(kStatusEvery).count();
  const auto busy_ns = fill_ranks(s);
  record_history(s, busy_ns);
  s.history = history_;
  return s;
}

double ProgressReporter::elapsed_s() {
  // Frozen at stop(): the time after it is not the items'.
  auto until = Clock::now();
  {
    std::lock_guard lock(mutex_);
    if (stopped_) until = *stopped_;
  }
  return std::chrono::duration<double>(until - started_).count();
}

std::int64_t ProgressReporter::fill_ranks(timeline::Status& s) {
  s.rank_status.resize(std::size_t(ranks_));
  std::int64_t busy_total = 0;
  for (auto& n : known_) {
    const bool here = n.leader == 0;
    if (here) sum_node(node_threads_, int(n.ranks.size()), threads_, n.sums);
    const double age = here ? 0 : n.heard ? seconds_since(*n.heard) : s.elapsed_s;
    for (std::size_t i = 0; i < n.ranks.size(); ++i) {
      auto& r = s.rank_status[n.ranks[i]];
      r.rank = n.ranks[i];
      r.host = hosts_[r.rank];
      r.items = n.sums[i];
      r.planned = plan_.rank_planned.empty() ? std::nullopt : plan_.rank_planned[r.rank];
      const auto busy = static_cast<std::int64_t>(n.sums[n.ranks.size() + i]);
      r.busy_share = s.elapsed_s > 0 ? double(busy) * 1e-9 / (threads_ * s.elapsed_s) : 0;
      r.age_s = age;
      s.done += r.items;
      busy_total += busy;
    }
  }
  return busy_total;
}

void ProgressReporter::record_history(const timeline::Status& s, std::int64_t busy_ns) {
  const double last = history_.empty() ? 0 : history_.back().elapsed_s;
  if (s.elapsed_s - last < kHistoryEverySeconds) return;
  const double worker_seconds = double(threads_) * double(ranks_) * (s.elapsed_s - last);
  history_.push_back({s.elapsed_s, s.done, double(busy_ns - history_busy_ns_) * 1e-9 / worker_seconds});
  history_busy_ns_ = busy_ns;
  if (history_.size() > kHistoryLength) history_.erase(history_.begin());
}

void ProgressReporter::finish() {
  if (comm_ == MPI_COMM_NULL) return;
  if (leader_elsewhere_) {
    MPI_Wait(&pending_, MPI_STATUS_IGNORE);
    sum_node(node_threads_, local_size_, threads_, send_buffer_);
    MPI_Send(send_buffer_.data(), int(send_buffer_.size()), MPI_UINT64_T, 0, kDoneTag, comm_);
  }
  if (rank_ == 0) {
    receive_from_leaders(true);
    // The other nodes' last counts came only now.
    if (!options_.status_path.empty()) {
      auto status = snapshot();
      status.state = "finishing";
      timeline::replace_status_file(options_.status_path, status);
    }
  }
  MPI_Comm_free(&comm_);
}

void mark_status_ended(const std::string& path, const std::string& outcome, int exit_code,
                       std::optional<std::uint64_t> done) {
  if (path.empty() || log::rank() != 0) return;
  std::ifstream in(path);
  if (!in) return;  // the run ended before it wrote one
  std::stringstream text;
  text << in.rdbuf();
  try {
    auto status = timeline::parse_status(text.str(), path);
    status.state = "ended";
    status.outcome = outcome;
    status.exit_code = exit_code;
    status.heartbeat_unix = unix_now();
    if (done) status.done = *done;
    timeline::replace_status_file(path, status);
  } catch (const Error&) {
    // Not ours any more (replaced by hand?): leave it.
  }
}

}  // namespace hybridscope
