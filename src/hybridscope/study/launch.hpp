#pragma once
// Launching runs as child jobs: the launcher command for a layout (mpiexec locally, srun steps inside
// a Slurm allocation), and spawning it without a shell under a time limit, so that nothing hangs.
#include <string>
#include <utility>
#include <vector>

#include "hybridscope/core/layout.hpp"

namespace hybridscope::study {

// Every ranks x threads split of `workers`: all threads (1 x workers) first, all processes last.
std::vector<Layout> layouts_of(int workers);

enum class LauncherKind { mpiexec, srun };

struct Launcher {
  LauncherKind kind = LauncherKind::mpiexec;
  std::string program = "mpiexec";
};

// srun inside a Slurm allocation (SLURM_JOB_ID is set), mpiexec elsewhere. A non-empty `program`
// (the --launcher option), else $HYBRIDSCOPE_LAUNCHER, replaces the launcher's path.
Launcher pick_launcher(const std::string& program);

// Throws InputError unless the launcher's program is an executable file, by path or on PATH.
void check_launcher(const Launcher& launcher);

// The CPUs runs may use: the allocation's on this node ($SLURM_CPUS_ON_NODE inside Slurm), else
// the CPUs this process may run on.
int available_cpus();

struct Command {
  std::vector<std::pair<std::string, std::string>> env;  // set for this launch only
  std::vector<std::string> argv;
};

// `program` (argv of the executable and its arguments) as `layout` on `cpus` CPUs (hardware threads).
// When the workers fit, every rank gets `threads` CPUs of its own (mpiexec binds it to them and its
// threads to one CPU each; srun --exact gives the step exactly those, bound as the site's task plugin
// binds); when they do not, nothing is bound (a bound, oversubscribed rank would stack its threads
// on one CPU) and the launcher is told that oversubscription is intended.
Command launch_command(const Launcher& launcher, const Layout& layout, int cpus,
                       const std::vector<std::string>& program);

// The command as one line for a POSIX shell, for people to copy; hybridscope never runs a shell.
std::string shell_line(const Command& command);

struct Outcome {
  int exit_code = 0;     // 128 + N when ended by signal N, as a shell reports it
  double seconds = 0;    // from spawn to exit
  bool stopped = false;  // asked to stop: its time limit passed or a stop was requested
  bool requested = false;  // stopped because hybridscope itself was asked to stop, not by its limit
};

// Runs `command` with stdin from /dev/null and stdout and stderr to `log_path`, a new file. Once
// `limit_s` seconds have passed, or a stop is requested (core/stop.hpp: Ctrl-C on hybridscope),
// the launcher gets SIGUSR1, which it forwards and which makes the ranks write their timeline marked
// incomplete; SIGTERM follows after a grace period, then SIGKILL for its whole process group.
// Throws Error when the launcher cannot be started.
Outcome launch(const Command& command, const std::string& log_path, double limit_s);

// Seconds from the first stop signal until SIGKILL at the latest.
double stop_grace_seconds();

}  // namespace hybridscope::study
