#include "hybridscope/workloads/command.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <omp.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
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

// How long a task killed by SIGTERM, SIGINT or SIGUSR1 waits for the same stop to reach its rank.
constexpr int kSameStopMs = 200;

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
// included, where no code of the rank runs): a process forked at set-up holds one end of a socket
// pair to which the rank writes each group as its task starts (+pgid) and ends (-pgid). When the
// rank is gone the kernel closes the write end, the watchdog reads end-of-file and kills the groups
// still listed. PR_SET_PDEATHSIG would reach only a task's first process, and follows the thread
// that forked it rather than the rank.
class Watchdog {
public:
  Watchdog() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
      throw Error(fmt::format("task farm: cannot create a socket pair: {}", errno_text()));
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

  // Small writes to a stream socket are not split, so threads need no lock. MSG_NOSIGNAL: a watchdog
  // that is gone (killed on its own) costs the protection, not the rank (SIGPIPE).
  void send(std::int64_t value) const noexcept {
    while (::send(write_end_.get(), &value, sizeof value, MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
  }

  // In the child of a multithreaded process: system calls only, no allocation, no locks.
  [[noreturn]] static void watch(int read_end) {
    // Out of the rank's group, deaf to the signals that stop a job (Slurm sends SIGTERM to every
    // process of a step): it ends when the rank is gone, and only then.
    ::setpgid(0, 0);
    for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP, SIGQUIT, SIGPIPE}) ::signal(s, SIG_IGN);
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

// The shell's environment for one worker: the rank's, without what the MPI launcher put there for
// the rank itself (a task that is an MPI program would take itself for part of this job), and with
// HYBRIDSCOPE_ITEM, _ATTEMPT, _RANK and _THREAD set.
class TaskEnvironment {
public:
  TaskEnvironment(int rank, int thread)
      : rank_(fmt::format("HYBRIDSCOPE_RANK={}", rank)), thread_(fmt::format("HYBRIDSCOPE_THREAD={}", thread)) {
    for (char** e = environ; *e; ++e)
      if (!is_ours(*e) && !is_launchers(*e)) inherited_.push_back(*e);
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
  static bool starts_with_any(std::string_view variable, std::initializer_list<std::string_view> prefixes) {
    for (const auto prefix : prefixes)
      if (variable.starts_with(prefix)) return true;
    return false;
  }
  static bool is_ours(std::string_view variable) {
    return starts_with_any(variable, {"HYBRIDSCOPE_ITEM=", "HYBRIDSCOPE_ATTEMPT=", "HYBRIDSCOPE_RANK=",
                                      "HYBRIDSCOPE_THREAD="});
  }
  // Open MPI's and PMIx's wiring of this rank; a user's own MCA settings (OMPI_MCA_btl=...) and
  // OMPI_ALLOW_RUN_AS_ROOT stay.
  static bool is_launchers(std::string_view variable) {
    return starts_with_any(variable, {"PMIX_", "PMI_", "ORTE_", "OMPI_MCA_orte_", "OMPI_MCA_ess", "OMPI_MCA_pmix",
                                   "OMPI_COMM_WORLD_", "OMPI_FIRST_RANKS", "OMPI_APP_CTX_", "OMPI_UNIVERSE_SIZE",
                                   "OMPI_NUM_APP_CTX", "OMPI_ARGV", "OMPI_COMMAND", "OMPI_FILE_LOCATION"});
  }

  std::string rank_, thread_, item_, attempt_;
  std::vector<char*> inherited_;
  std::vector<char*> pointers_;
};

// One output stream of an attempt: a pipe whose data the worker copies to the stream's file, which
// is created with the first byte. A task that writes nothing costs no file-system operation (creating
// and removing empty files doubled the cost of a short task on an overlay file system), and a
// running task's output can be followed with tail -f.
class TaskStream {
public:
  explicit TaskStream(std::string path) : path_(std::move(path)) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(fmt::format("task farm: cannot create a pipe: {}", errno_text()));
    read_end_ = Fd(fds[0]);
    write_end_ = Fd(fds[1]);
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  }
  int read_end() const { return open_ ? read_end_.get() : -1; }  // -1: poll ignores it
  int write_end() const { return write_end_.get(); }
  void close_write_end() { write_end_ = Fd(); }

  // Copies what the pipe holds now to the file; at end of file the stream is done.
  void drain() {
    char buffer[1 << 16];
    while (open_) {
      const auto n = ::read(read_end_.get(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) {
        open_ = false;
        return;
      }
      write_all(buffer, static_cast<std::size_t>(n));
    }
  }

private:
  void write_all(const char* data, std::size_t size) {
    if (file_.get() < 0) file_ = create();
    while (size > 0) {
      const auto n = ::write(file_.get(), data, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(fmt::format("task farm: cannot write '{}': {}", path_, errno_text()));
      data += n;
      size -= static_cast<std::size_t>(n);
    }
  }

  Fd create() const {
    constexpr int kFlags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    int fd = ::open(path_.c_str(), kFlags, 0644);
    if (fd < 0 && errno == ENOENT) {
      ::mkdir(fs::path(path_).parent_path().c_str(), 0755);  // EEXIST: a sibling made it first
      fd = ::open(path_.c_str(), kFlags, 0644);
    }
    if (fd < 0) throw Error(fmt::format("task farm: cannot create '{}': {}", path_, errno_text()));
    return Fd(fd);
  }

  std::string path_;
  Fd read_end_, write_end_, file_;
  bool open_ = true;
};

// How a task ended.
struct Ending {
  int status = 0;
  rusage usage{};
  bool stopped = false;  // a stop request ended it
};

// Until the task exits: copies its output, and at a stop sends SIGTERM to its group, then SIGKILL
// once kill_grace has passed. The process is not reaped, so that wait4 gets its resource usage.
class TaskWatch {
public:
  TaskWatch(pid_t pid, double kill_grace, TaskStream& out, TaskStream& err)
      : pid_(pid), grace_ms_(static_cast<std::int64_t>(kill_grace * 1000.0)), out_(out), err_(err),
        pidfd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}

  bool run_until_exit() {
    while (!exited()) {
      pollfd fds[4] = {{pidfd_.get(), POLLIN, 0}, {out_.read_end(), POLLIN, 0}, {err_.read_end(), POLLIN, 0},
                       {stopped_ ? -1 : stop::wakeup_fd(), POLLIN, 0}};
      if (::poll(fds, 4, timeout_ms()) < 0 && errno != EINTR)
        throw Error(fmt::format("task farm: poll failed: {}", errno_text()));
      if (fds[1].revents) out_.drain();
      if (fds[2].revents) err_.drain();
      if (fds[3].revents & POLLIN) terminate();
      if (stopped_ && !killed_ && now_ns() >= kill_at_ns_) {
        ::kill(-pid_, SIGKILL);
        killed_ = true;
      }
    }
    // What the task wrote before it ended; a child it left behind holding the pipe is not waited for.
    out_.drain();
    err_.drain();
    return stopped_;
  }

private:
  static constexpr int kLookMs = 5;  // without pidfd_open (Linux < 5.3): how often to look for the exit

  bool exited() const {
    if (pidfd_.get() >= 0) {
      pollfd fd{pidfd_.get(), POLLIN, 0};
      return ::poll(&fd, 1, 0) == 1;
    }
    siginfo_t info{};
    return ::waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_;
  }

  int timeout_ms() const {
    std::int64_t ms = pidfd_.get() >= 0 ? -1 : kLookMs;
    if (stopped_ && !killed_) {
      const std::int64_t left = std::max<std::int64_t>(0, (kill_at_ns_ - now_ns()) / 1'000'000 + 1);
      ms = ms < 0 ? left : std::min(ms, left);
    }
    return static_cast<int>(ms);
  }

  void terminate() {
    stopped_ = true;
    kill_at_ns_ = now_ns() + grace_ms_ * 1'000'000;
    ::kill(-pid_, SIGTERM);
  }

  pid_t pid_;
  std::int64_t grace_ms_;
  TaskStream& out_;
  TaskStream& err_;
  Fd pidfd_;
  bool stopped_ = false, killed_ = false;
  std::int64_t kill_at_ns_ = 0;
};

Ending wait_for(pid_t pid, double kill_grace, TaskStream& out, TaskStream& err) {
  Ending end;
  end.stopped = TaskWatch(pid, kill_grace, out, err).run_until_exit();
  // What the task left running in its group ends with it. Before the reaping: until then the
  // exited leader holds its pid, so the group's number cannot have passed to another task.
  ::kill(-pid, SIGKILL);
  pid_t reaped;
  while ((reaped = ::wait4(pid, &end.status, 0, &end.usage)) < 0 && errno == EINTR) {
  }
  if (reaped != pid) throw Error(fmt::format("task farm: cannot wait for process {}: {}", pid, errno_text()));
  return end;
}

// The words of a command that holds nothing the shell would interpret (quotes, $, globs, ~,
// redirections, separators, comments, a leading assignment): letters, digits, blanks and _-.,/:+=@%.
// Empty when the command needs the shell.
std::vector<std::string> plain_words(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  for (const char ch : command) {
    const bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                       std::string_view("_-.,/:+=@%").find(ch) != std::string_view::npos;
    if (ch == ' ' || ch == '\t') {
      if (!word.empty()) words.push_back(std::exchange(word, {}));
    } else if (plain) {
      word += ch;
    } else {
      return {};
    }
  }
  if (!word.empty()) words.push_back(word);
  if (!words.empty() && words.front().find('=') != std::string::npos) return {};
  return words;
}

std::int64_t ns_of(const timeval& t) { return std::int64_t{t.tv_sec} * 1'000'000'000 + std::int64_t{t.tv_usec} * 1000; }

class CommandFarm;

class CommandWorker final : public Worker {
public:
  CommandWorker(CommandFarm& farm, int rank, int thread);
  ~CommandWorker() override;
  std::uint64_t run(std::uint64_t chunk, std::uint64_t item, trace::ThreadLog& log) override;
  bool last_item_failed() const noexcept override { return failed_; }
  std::string ends_run() const override { return ends_run_; }

private:
  trace::TaskAttempt run_attempt(std::uint64_t item, int attempt);
  pid_t spawn(const std::string& command, const TaskStream& out, const TaskStream& err, char* const* env);

  CommandFarm& farm_;
  int rank_, thread_;
  TaskEnvironment environment_;
  posix_spawnattr_t attributes_{};
  std::vector<trace::TaskAttempt> attempts_;
  bool failed_ = false;
  std::string ends_run_;
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
        ends_run_ = fmt::format("task {} failed ({}; workload.fail_fast stopped the farm; its output: {} when it "
                                "wrote any)", item, a.exit_code >= 0 ? fmt::format("exit code {}", a.exit_code)
                                                                      : stop::signal_name(a.signal),
                                trace::task_output_path(farm_.output(), item, attempt, "{out,err}"));
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
  TaskStream out(trace::task_output_path(farm_.output(), item, attempt, "out"));
  TaskStream err(trace::task_output_path(farm_.output(), item, attempt, "err"));
  char* const* env = environment_.for_attempt(item, attempt);
  a.begin_ns = now_ns();
  const pid_t pid = spawn(farm_.command(item), out, err, env);
  out.close_write_end();
  err.close_write_end();
  farm_.watchdog().started(pid);
  const Ending end = wait_for(pid, farm_.config().kill_grace, out, err);
  farm_.watchdog().ended(pid);
  a.end_ns = now_ns();
  a.pid = pid;
  a.exit_code = WIFEXITED(end.status) ? WEXITSTATUS(end.status) : -1;
  a.signal = WIFSIGNALED(end.status) ? WTERMSIG(end.status) : 0;
  a.user_ns = ns_of(end.usage.ru_utime);
  a.system_ns = ns_of(end.usage.ru_stime);
  a.max_rss_kib = end.usage.ru_maxrss;
  // A task that a stop ended (or that failed while the rank stops: Slurm signals every process of a
  // job step) did not fail: it is abandoned and a resumed run runs it again. The signal that ended
  // a task may be one the rank itself is about to get: give it a moment to arrive.
  if ((a.signal == SIGTERM || a.signal == SIGINT || a.signal == SIGUSR1) && !stop::requested()) {
    pollfd stop_fd{stop::wakeup_fd(), POLLIN, 0};
    ::poll(&stop_fd, 1, kSameStopMs);
  }
  a.abandoned = end.stopped || (!a.succeeded() && stop::requested());
  attempts_.push_back(a);
  if (a.abandoned) throw Abandoned{};
  return a;
}

pid_t CommandWorker::spawn(const std::string& command, const TaskStream& out, const TaskStream& err,
                           char* const* env) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, farm_.null_fd(), 0);
  posix_spawn_file_actions_adddup2(&actions, out.write_end(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.write_end(), 2);
  // The rank's own descriptors (MPI's sockets, the trace spool) are none of the task's business.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = -1;
  int error = ENOENT;
  // A command without shell syntax is started directly: the shell would only split it at blanks and
  // exec it, and one exec less is a third of a short task's cost. What cannot be started so (a shell
  // builtin such as `exit 3` or `cd`, a missing program) goes to the shell, which runs or reports it.
  if (const auto words = plain_words(command); !words.empty()) {
    std::vector<char*> argv;
    for (const auto& w : words) argv.push_back(const_cast<char*>(w.c_str()));
    argv.push_back(nullptr);
    error = ::posix_spawnp(&pid, argv[0], &actions, &attributes_, argv.data(), env);
  }
  if (error == ENOENT || error == EACCES || error == ENOTDIR) {
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    error = ::posix_spawn(&pid, "/bin/sh", &actions, &attributes_, const_cast<char* const*>(argv), env);
  }
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) throw Error(fmt::format("task farm: cannot start '{}': {}", command, std::strerror(error)));
  return pid;
}

}  // namespace

std::unique_ptr<Workload> make_command_workload(const WorkloadConfig& config, const RankContext& where) {
  return std::make_unique<CommandFarm>(config, where);
}

}  // namespace hybridscope::workloads
