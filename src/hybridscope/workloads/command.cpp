#include "hybridscope/workloads/command.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <omp.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "hybridscope/config/tasks.hpp"
#include "hybridscope/core/clock.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/core/stop.hpp"

extern char** environ;

namespace hybridscope::workloads {

namespace {

namespace fs = std::filesystem;

std::string errno_text() { return std::strerror(errno); }

// A file descriptor closed with its owner.
class Fd {
public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

private:
  int fd_;
};

// Ends the process groups of a rank's running tasks when the rank ends, however it ends (SIGKILL
// included, where no code of the rank runs): a process forked at set-up holds the read end of a
// pipe to which the rank writes each group as its task starts (+pgid) and ends (-pgid). When the
// rank is gone the kernel closes the write end, the watchdog reads end-of-file and kills the groups
// still listed. PR_SET_PDEATHSIG would reach only a task's first process, and follows the thread
// that forked it rather than the rank.
class Watchdog {
public:
  Watchdog() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(fmt::format("task farm: cannot create a pipe: {}", errno_text()));
    pid_ = ::fork();
    if (pid_ < 0) {
      ::close(fds[0]), ::close(fds[1]);
      throw Error(fmt::format("task farm: cannot start the watchdog process: {}", errno_text()));
    }
    if (pid_ == 0) watch(fds[0]);
    ::close(fds[0]);
    write_end_ = Fd(fds[1]);
  }
  ~Watchdog() {
    write_end_ = Fd();
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void started(pid_t group) const noexcept { send(group); }
  void ended(pid_t group) const noexcept { send(-std::int64_t{group}); }

private:
  static constexpr int kMaxGroups = 4096;  // a rank runs at most 1024 threads, each one task at a time

  // Writes of at most PIPE_BUF bytes are atomic, so threads need no lock.
  void send(std::int64_t value) const noexcept {
    while (::write(write_end_.get(), &value, sizeof value) < 0 && errno == EINTR) {
    }
  }

  // In the child of a multithreaded process: system calls only, no allocation, no locks.
  [[noreturn]] static void watch(int read_end) {
    ::setpgid(0, 0);  // out of the rank's group, so that a kill of that group leaves it to clean up
    for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGHUP}) ::signal(s, SIG_DFL);
    ::dup2(read_end, 0);
    // Holding the rank's other descriptors (sockets to the launcher) would hide the rank's death.
    if (::syscall(SYS_close_range, 1U, ~0U, 0U) != 0)
      for (int fd = 1; fd < 65536; ++fd) ::close(fd);
    pid_t groups[kMaxGroups] = {};
    std::int64_t value = 0;
    while (read_value(value)) {
      const pid_t wanted = value > 0 ? 0 : static_cast<pid_t>(-value);
      for (auto& g : groups)
        if (g == wanted) {
          g = value > 0 ? static_cast<pid_t>(value) : 0;
          break;
        }
    }
    for (const pid_t g : groups)
      if (g > 0) ::kill(-g, SIGKILL);
    ::_exit(0);
  }

  static bool read_value(std::int64_t& value) {
    auto* bytes = reinterpret_cast<char*>(&value);
    std::size_t got = 0;
    while (got < sizeof value) {
      const auto n = ::read(0, bytes + got, sizeof value - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      got += static_cast<std::size_t>(n);
    }
    return true;
  }

  pid_t pid_ = -1;
  Fd write_end_;
};

// The shell's environment for one worker: the rank's, with HYBRIDSCOPE_ITEM, _ATTEMPT, _RANK and
// _THREAD set.
class TaskEnvironment {
public:
  TaskEnvironment(int rank, int thread)
      : rank_(fmt::format("HYBRIDSCOPE_RANK={}", rank)), thread_(fmt::format("HYBRIDSCOPE_THREAD={}", thread)) {
    for (char** e = environ; *e; ++e)
      if (!is_ours(*e)) inherited_.push_back(*e);
  }

  char* const* for_attempt(std::uint64_t item, int attempt) {
    item_ = fmt::format("HYBRIDSCOPE_ITEM={}", item);
    attempt_ = fmt::format("HYBRIDSCOPE_ATTEMPT={}", attempt);
    pointers_ = inherited_;
    for (auto* s : {&item_, &attempt_, &rank_, &thread_}) pointers_.push_back(s->data());
    pointers_.push_back(nullptr);
    return pointers_.data();
  }

private:
  static bool is_ours(std::string_view variable) {
    for (const std::string_view name : {"HYBRIDSCOPE_ITEM=", "HYBRIDSCOPE_ATTEMPT=", "HYBRIDSCOPE_RANK=",
                                        "HYBRIDSCOPE_THREAD="})
      if (variable.starts_with(name)) return true;
    return false;
  }

  std::string rank_, thread_, item_, attempt_;
  std::vector<char*> inherited_;
  std::vector<char*> pointers_;
};

// An attempt's stdout and stderr files; on destruction a file the task left empty is removed, so
// that only output that exists takes room and names.
class TaskFiles {
public:
  TaskFiles(const std::string& dir, std::uint64_t item, int attempt)
      : out_path_(trace::task_output_path(dir, item, attempt, "out")),
        err_path_(trace::task_output_path(dir, item, attempt, "err")),
        out_(open_creating_folder(out_path_)),
        err_(open_creating_folder(err_path_)) {}
  ~TaskFiles() {
    remove_if_empty(out_, out_path_);
    remove_if_empty(err_, err_path_);
  }
  int out() const { return out_.get(); }
  int err() const { return err_.get(); }

private:
  static Fd open_creating_folder(const std::string& path) {
    constexpr int kFlags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    int fd = ::open(path.c_str(), kFlags, 0644);
    if (fd < 0 && errno == ENOENT) {
      ::mkdir(fs::path(path).parent_path().c_str(), 0755);  // EEXIST: a sibling made it first
      fd = ::open(path.c_str(), kFlags, 0644);
    }
    if (fd < 0) throw Error(fmt::format("task farm: cannot create '{}': {}", path, errno_text()));
    return Fd(fd);
  }
  static void remove_if_empty(const Fd& fd, const std::string& path) {
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0 && st.st_size == 0) ::unlink(path.c_str());
  }

  std::string out_path_, err_path_;
  Fd out_, err_;
};

// How a task ended.
struct Ending {
  int status = 0;
  rusage usage{};
  bool stopped = false;  // a stop request ended it
};

// Waits until `pid` exits (true), `timeout_ms` passes or, with `wake_on_stop`, a stop is requested.
// The process is not reaped, so that wait4 gets its resource usage.
bool exits_within(pid_t pid, int pidfd, int timeout_ms, bool wake_on_stop) {
  pollfd fds[2] = {{pidfd, POLLIN, 0}, {stop::wakeup_fd(), POLLIN, 0}};
  if (pidfd >= 0) {
    int n;
    while ((n = ::poll(fds, wake_on_stop ? 2 : 1, timeout_ms)) < 0 && errno == EINTR) {
    }
    return n > 0 && (fds[0].revents & POLLIN);
  }
  // Without pidfd_open (Linux < 5.3): look every few milliseconds.
  constexpr int kLookMs = 5;
  for (int waited = 0;; waited += kLookMs) {
    siginfo_t info{};
    if (::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) return true;
    if ((wake_on_stop && stop::requested()) || (timeout_ms >= 0 && waited >= timeout_ms)) return false;
    ::poll(nullptr, 0, kLookMs);
  }
}

Ending wait_for(pid_t pid, double kill_grace) {
  Ending end;
  const Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!exits_within(pid, pidfd.get(), -1, true)) {
    end.stopped = true;
    ::kill(-pid, SIGTERM);
    if (!exits_within(pid, pidfd.get(), static_cast<int>(kill_grace * 1000.0), false)) ::kill(-pid, SIGKILL);
  }
  pid_t reaped;
  while ((reaped = ::wait4(pid, &end.status, 0, &end.usage)) < 0 && errno == EINTR) {
  }
  if (reaped != pid) throw Error(fmt::format("task farm: cannot wait for process {}: {}", pid, errno_text()));
  // What the task left running in its group ends with it.
  ::kill(-pid, SIGKILL);
  return end;
}

std::int64_t ns_of(const timeval& t) { return std::int64_t{t.tv_sec} * 1'000'000'000 + std::int64_t{t.tv_usec} * 1000; }

class CommandFarm;

class CommandWorker final : public Worker {
public:
  CommandWorker(CommandFarm& farm, int rank, int thread);
  ~CommandWorker() override;
  std::uint64_t run(std::uint64_t chunk, std::uint64_t item, trace::ThreadLog& log) override;
  bool last_item_failed() const noexcept override { return failed_; }

private:
  trace::TaskAttempt run_attempt(std::uint64_t item, int attempt);
  pid_t spawn(const std::string& command, const TaskFiles& files, char* const* env);

  CommandFarm& farm_;
  int rank_, thread_;
  TaskEnvironment environment_;
  posix_spawnattr_t attributes_{};
  std::vector<trace::TaskAttempt> attempts_;
  bool failed_ = false;
};

class CommandFarm final : public Workload {
public:
  CommandFarm(const WorkloadConfig& config, const RankContext& where)
      : config_(config), where_(where), null_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {
    if (null_.get() < 0) throw Error(fmt::format("task farm: cannot open /dev/null: {}", errno_text()));
    if (!config.tasks.empty()) read_tasks();
    prepare_output();
    watchdog_ = std::make_unique<Watchdog>();
  }

  std::unique_ptr<Worker> make_worker() override {
    return std::make_unique<CommandWorker>(*this, where_.rank, omp_get_thread_num());
  }

  std::vector<trace::TaskAttempt> take_task_attempts() override {
    std::lock_guard lock(mutex_);
    return std::move(attempts_);
  }

  std::string command(std::uint64_t item) const {
    return commands_.empty() ? expand_command(config_.command, item) : commands_.at(item);
  }
  const WorkloadConfig& config() const { return config_; }
  const std::string& output() const { return where_.task_output; }
  int null_fd() const { return null_.get(); }
  const Watchdog& watchdog() const { return *watchdog_; }

  void keep(std::vector<trace::TaskAttempt>&& attempts) {
    std::lock_guard lock(mutex_);
    attempts_.insert(attempts_.end(), attempts.begin(), attempts.end());
  }

private:
  void read_tasks() {
    commands_ = read_task_list(config_.tasks);
    if (commands_.size() != where_.items)
      throw InputError(fmt::format("key 'workload.tasks' = \"{}\": the file now holds {} commands, but the run "
                                   "was planned for {} (accepted: a task file that does not change during the run)",
                                   config_.tasks, commands_.size(), where_.items));
  }

  void prepare_output() {
    const auto& dir = where_.task_output;
    const auto reject = [&](std::string_view why) {
      return InputError(fmt::format("key 'workload.output' = \"{}\": {} (accepted: a folder this user can create "
                                    "files in; new or empty unless --resume or --force)", dir, why));
    };
    if (dir.empty()) throw reject("no folder");
    std::error_code error;
    fs::create_directories(dir, error);
    if (error) throw reject(error.message());
    if (where_.rank == 0 && !where_.reuse_output && has_files(dir)) throw reject("is not empty");
    // Only a file created there proves it can be written (access(2) says yes to root on read-only mounts).
    const auto probe = fmt::format("{}/.hybridscope-probe-{}", dir, ::getpid());
    const Fd fd(::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) throw reject(fmt::format("cannot create files: {}", errno_text()));
    ::unlink(probe.c_str());
  }

  // Anything but the other ranks' passing probes.
  static bool has_files(const std::string& dir) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error))
      if (!entry.path().filename().string().starts_with(".hybridscope-probe-")) return true;
    return false;
  }

  WorkloadConfig config_;
  RankContext where_;
  std::vector<std::string> commands_;  // the task file's, or empty for a template
  Fd null_;
  std::unique_ptr<Watchdog> watchdog_;
  std::mutex mutex_;
  std::vector<trace::TaskAttempt> attempts_;  // of the workers that are gone
};

CommandWorker::CommandWorker(CommandFarm& farm, int rank, int thread)
    : farm_(farm), rank_(rank), thread_(thread), environment_(rank, thread) {
  posix_spawnattr_init(&attributes_);
  // Its own process group (so that a stop reaches everything it started), an empty signal mask, and
  // default dispositions for what the rank handles or ignores.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP, SIGQUIT, SIGPIPE, SIGXFSZ, SIGCHLD, SIGALRM})
    sigaddset(&defaults, s);
  posix_spawnattr_setflags(&attributes_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes_, 0);
  posix_spawnattr_setsigmask(&attributes_, &none);
  posix_spawnattr_setsigdefault(&attributes_, &defaults);
}

CommandWorker::~CommandWorker() {
  posix_spawnattr_destroy(&attributes_);
  farm_.keep(std::move(attempts_));
}

std::uint64_t CommandWorker::run(std::uint64_t chunk, std::uint64_t item, trace::ThreadLog& log) {
  const auto& config = farm_.config();
  for (int attempt = 0;; ++attempt) {
    const auto a = run_attempt(item, attempt);
    failed_ = !a.succeeded();
    if (!failed_ || attempt == config.retries) {
      if (failed_ && config.fail_fast)
        throw Error(fmt::format("task {} failed ({}; workload.fail_fast stopped the farm; its output: {})", item,
                                a.exit_code >= 0 ? fmt::format("exit code {}", a.exit_code)
                                                 : stop::signal_name(a.signal),
                                trace::task_output_path(farm_.output(), item, attempt, "err")));
      return a.status_value();
    }
    // The failed attempt is an interval of its own; the retry's is closed by the caller.
    log.close(trace::Activity::work, chunk, item);
  }
}

trace::TaskAttempt CommandWorker::run_attempt(std::uint64_t item, int attempt) {
  if (stop::requested()) throw Abandoned{};
  trace::TaskAttempt a;
  a.item = item;
  a.rank = rank_;
  a.thread = thread_;
  a.attempt = attempt;
  Ending end;
  {
    const TaskFiles files(farm_.output(), item, attempt);
    char* const* env = environment_.for_attempt(item, attempt);
    a.begin_ns = now_ns();
    const pid_t pid = spawn(farm_.command(item), files, env);
    farm_.watchdog().started(pid);
    end = wait_for(pid, farm_.config().kill_grace);
    farm_.watchdog().ended(pid);
    a.end_ns = now_ns();
    a.pid = pid;
  }
  a.exit_code = WIFEXITED(end.status) ? WEXITSTATUS(end.status) : -1;
  a.signal = WIFSIGNALED(end.status) ? WTERMSIG(end.status) : 0;
  a.user_ns = ns_of(end.usage.ru_utime);
  a.system_ns = ns_of(end.usage.ru_stime);
  a.max_rss_kib = end.usage.ru_maxrss;
  // A task that a stop ended (or that failed while the rank stops: Slurm signals every process of a
  // job step) did not fail: it is abandoned and a resumed run runs it again.
  a.abandoned = end.stopped || (!a.succeeded() && stop::requested());
  attempts_.push_back(a);
  if (a.abandoned) throw Abandoned{};
  return a;
}

pid_t CommandWorker::spawn(const std::string& command, const TaskFiles& files, char* const* env) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, farm_.null_fd(), 0);
  posix_spawn_file_actions_adddup2(&actions, files.out(), 1);
  posix_spawn_file_actions_adddup2(&actions, files.err(), 2);
  // The rank's own descriptors (MPI's sockets, the trace spool) are none of the task's business.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = -1;
  const int error = ::posix_spawn(&pid, "/bin/sh", &actions, &attributes_, const_cast<char* const*>(argv), env);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) throw Error(fmt::format("task farm: cannot start /bin/sh for '{}': {}", command, std::strerror(error)));
  return pid;
}

}  // namespace

std::unique_ptr<Workload> make_command_workload(const WorkloadConfig& config, const RankContext& where) {
  return std::make_unique<CommandFarm>(config, where);
}

}  // namespace hybridscope::workloads
