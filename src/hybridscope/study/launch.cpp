#include "hybridscope/study/launch.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <thread>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/stop.hpp"

extern char** environ;

namespace hybridscope::study {

namespace {

// After SIGUSR1 the ranks stop within milliseconds, but writing the timeline of an oversubscribed
// launch takes seconds (collective HDF5 with ranks that share cores).
constexpr double kTimelineGraceS = 5;
constexpr double kLauncherGraceS = 1;  // after SIGTERM, before SIGKILL

struct StopStep {
  int signal;
  double then_wait_s;
};
constexpr StopStep kStopSteps[] = {{SIGUSR1, kTimelineGraceS}, {SIGTERM, kLauncherGraceS}, {SIGKILL, 0}};

// CPUs are hardware threads, as in the affinity mask and in Slurm, so mpiexec counts them too.
std::vector<std::string> mpiexec_args(const std::string& program, const Layout& layout, bool fits) {
  std::vector<std::string> a{program, "-np", std::to_string(layout.ranks)};
  if (fits)
    a.insert(a.end(), {"--use-hwthread-cpus", "--map-by", fmt::format("slot:PE={}", layout.threads), "--bind-to",
                       "hwthread"});
  else
    a.insert(a.end(), {"--oversubscribe", "--bind-to", "none"});
  return a;
}

// A step that does not fit asks for at most the allocation's CPUs; --overcommit lets it have more
// tasks than CPUs, which then share them.
std::vector<std::string> srun_args(const std::string& program, const Layout& layout, int cpus, bool fits) {
  std::vector<std::string> a{program, "--mpi=pmix", fmt::format("--ntasks={}", layout.ranks)};
  if (fits)
    a.insert(a.end(), {fmt::format("--cpus-per-task={}", layout.threads), "--exact"});
  else
    a.insert(a.end(), {fmt::format("--cpus-per-task={}", std::clamp(cpus / layout.ranks, 1, layout.threads)),
                       "--overcommit", "--cpu-bind=none"});
  return a;
}

std::string shell_quoted(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_-+=:,./@%", c);
  });
  if (plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// This process's environment with `overrides` replacing or adding variables.
std::vector<std::string> environment_with(const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    if (std::none_of(overrides.begin(), overrides.end(), [&](const auto& o) { return o.first == name; }))
      out.emplace_back(entry);
  }
  for (const auto& [name, value] : overrides) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The launcher in a process group of its own, so that a final SIGKILL reaches the ranks too, with the
// default dispositions of the signals that hybridscope catches.
pid_t spawn(const Command& command, const std::string& log_path) {
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGPIPE, SIGXFSZ}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  auto argv = command.argv;
  auto env = environment_with(command.env);
  pid_t pid = -1;
  const int failed = posix_spawnp(&pid, argv.at(0).c_str(), &files, &attributes, c_strings(argv).data(),
                                  c_strings(env).data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&files);
  if (failed)
    throw Error(fmt::format("cannot start '{}' (output to '{}'): {} (accepted: mpiexec or srun on PATH, "
                            "or its path in --launcher or HYBRIDSCOPE_LAUNCHER)",
                            argv[0], log_path, std::strerror(failed)));
  return pid;
}

// The processes below `root`, from /proc: mpiexec starts every rank in a process group of its own,
// so a signal to the launcher's group does not reach them.
std::vector<pid_t> descendants(pid_t root) {
  std::vector<std::pair<pid_t, pid_t>> parent_of;  // (pid, ppid)
  std::error_code error;  // processes come and go while the folder is read
  for (std::filesystem::directory_iterator it("/proc", error), end; !error && it != end; it.increment(error)) {
    const auto name = it->path().filename().string();
    if (!std::all_of(name.begin(), name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      continue;
    std::ifstream stat(it->path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    const auto close = text.rfind(')');  // the command name may hold spaces and parentheses
    pid_t pid = 0, ppid = 0;
    char state = 0;
    if (close != std::string::npos && std::sscanf(text.c_str(), "%d", &pid) == 1 &&
        std::sscanf(text.c_str() + close + 1, " %c %d", &state, &ppid) == 2)
      parent_of.emplace_back(pid, ppid);
  }
  std::vector<pid_t> out{root};
  for (std::size_t i = 0; i < out.size(); ++i)
    for (const auto& [pid, ppid] : parent_of)
      if (ppid == out[i]) out.push_back(pid);
  out.erase(out.begin());
  return out;
}

// The last resort: the launcher's group and every process below it.
void kill_all(pid_t launcher) {
  const auto below = descendants(launcher);
  ::kill(-launcher, SIGKILL);
  for (pid_t pid : below) ::kill(pid, SIGKILL);
}

int shell_exit_code(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

}  // namespace

std::vector<Layout> layouts_of(int workers) {
  std::vector<Layout> out;
  for (int ranks = 1; ranks <= workers; ++ranks)
    if (workers % ranks == 0) out.push_back({ranks, workers / ranks});
  return out;
}

Launcher pick_launcher(const std::string& program) {
  Launcher launcher;
  if (std::getenv("SLURM_JOB_ID")) launcher = {LauncherKind::srun, "srun"};
  const char* from_env = std::getenv("HYBRIDSCOPE_LAUNCHER");
  if (!program.empty())
    launcher.program = program;
  else if (from_env && *from_env)
    launcher.program = from_env;
  return launcher;
}

void check_launcher(const Launcher& launcher) {
  const auto executable = [](const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
  };
  const auto& program = launcher.program;
  const bool by_path = program.find('/') != std::string::npos;
  bool found = by_path && executable(program);
  const std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  for (std::size_t at = 0; !found && !by_path && at <= path.size();) {
    const auto colon = std::min(path.find(':', at), path.size());
    const auto dir = path.substr(at, colon - at);
    found = executable((dir.empty() ? "." : dir) + "/" + program);
    at = colon + 1;
  }
  if (!found)
    throw InputError(fmt::format("launcher '{}' not found (accepted: {} on PATH, or its path in --launcher or "
                                 "HYBRIDSCOPE_LAUNCHER)", program,
                                 launcher.kind == LauncherKind::srun ? "srun" : "mpiexec"));
}

int available_cpus() {
  const char* allocated = std::getenv("SLURM_CPUS_ON_NODE");
  if (std::getenv("SLURM_JOB_ID") && allocated && std::atoi(allocated) > 0) return std::atoi(allocated);
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

Command launch_command(const Launcher& launcher, const Layout& layout, int cpus,
                       const std::vector<std::string>& program) {
  const bool fits = layout.workers() <= cpus;
  Command command;
  // Threads are pinned only where hybridscope knows that the launcher bound each rank to its own
  // CPUs: Slurm binds tasks only where its task plugin does, and pinned threads of unbound ranks
  // would all stack on the first CPUs.
  if (fits && launcher.kind == LauncherKind::mpiexec)
    command.env = {{"OMP_PLACES", "threads"}, {"OMP_PROC_BIND", "close"}};
  else
    command.env = {{"OMP_PROC_BIND", "false"}};
  command.argv = launcher.kind == LauncherKind::srun ? srun_args(launcher.program, layout, cpus, fits)
                                                     : mpiexec_args(launcher.program, layout, fits);
  command.argv.insert(command.argv.end(), program.begin(), program.end());
  return command;
}

std::string shell_line(const Command& command) {
  std::string out;
  for (const auto& [name, value] : command.env) out += fmt::format("{}={} ", name, shell_quoted(value));
  for (std::size_t i = 0; i < command.argv.size(); ++i)
    out += fmt::format("{}{}", i ? " " : "", shell_quoted(command.argv[i]));
  return out;
}

Outcome launch(const Command& command, const std::string& log_path, double limit_s) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const pid_t pid = spawn(command, log_path);
  Outcome outcome;
  std::size_t step = 0;
  double next_signal_at = limit_s;
  for (;;) {
    int status = 0;
    const pid_t ended = ::waitpid(pid, &status, WNOHANG);
    const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    if (ended == pid) {
      outcome.exit_code = shell_exit_code(status);
      outcome.seconds = elapsed;
      return outcome;
    }
    if (ended < 0 && errno != EINTR) throw Error(fmt::format("waiting for '{}': {}", command.argv[0], std::strerror(errno)));
    const bool asked = step == 0 && stop::requested();
    if (step < std::size(kStopSteps) && (elapsed >= next_signal_at || asked)) {
      if (step == 0) outcome.requested = asked;
      const auto& s = kStopSteps[step++];
      s.signal == SIGKILL ? kill_all(pid) : void(::kill(pid, s.signal));
      outcome.stopped = true;
      next_signal_at = elapsed + s.then_wait_s;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

double stop_grace_seconds() { return kTimelineGraceS + kLauncherGraceS; }

}  // namespace hybridscope::study
