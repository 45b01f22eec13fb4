#include "hybridscope/core/stop.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstring>

namespace hybridscope::stop {

namespace {
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free flag");

constexpr int kSignals[] = {SIGTERM, SIGINT, SIGUSR1};

void on_signal(int signal) {
  int expected = 0;
  if (!g_signal.compare_exchange_strong(expected, signal) && expected == signal) {
    // The same signal twice: give up on a clean stop.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}
}  // namespace

void install_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int s : kSignals) sigaction(s, &action, nullptr);
}

int signal_received() noexcept { return g_signal.load(std::memory_order_relaxed); }

void request(int signal) noexcept {
  int expected = 0;
  g_signal.compare_exchange_strong(expected, signal);
}

std::string signal_name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    default: return fmt::format("signal {}", signal);
  }
}

}  // namespace hybridscope::stop
