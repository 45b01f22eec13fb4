#pragma once
// Stop requests from signals (SIGTERM from Slurm or scancel, SIGINT from Ctrl-C, SIGUSR1 from
// sbatch --signal). The handler only records the signal; the hand-out polls it and stops giving out
// items, so the run ends normally and still writes its timeline. A second identical signal ends the
// process at once, as users expect from a second Ctrl-C.
#include <atomic>
#include <string>

namespace hybridscope::stop {

void install_handlers();
// The first signal received, or 0.
int signal_received() noexcept;
inline bool requested() noexcept { return signal_received() != 0; }
// Test hook and programmatic stop: behaves as if `signal` had arrived.
void request(int signal) noexcept;
// A descriptor that becomes readable (and stays so) once a stop is requested: code that blocks in
// poll() (a task farm waiting for its tasks) adds it to wake up at a stop.
int wakeup_fd();
// "SIGTERM" etc.
std::string signal_name(int signal);

}  // namespace hybridscope::stop
