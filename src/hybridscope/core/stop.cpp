#include "hybridscope/core/stop.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace hybridscope::stop {

namespace {
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free flag");

std::atomic<int> g_wakeup_write{-1};

constexpr int kSignals[] = {SIGTERM, SIGINT, SIGUSR1};

// Async-signal-safe: one byte into a non-blocking pipe; a full pipe is already readable.
void wake_up() noexcept {
  const int fd = g_wakeup_write.load();
  if (fd < 0) return;
  const int saved = errno;
  [[maybe_unused]] const auto ignored = ::write(fd, "", 1);
  errno = saved;
}

void on_signal(int signal) {
  int expected = 0;
  if (g_signal.compare_exchange_strong(expected, signal)) {
    wake_up();
  } else if (expected == signal) {
    // The same signal twice: give up on a clean stop.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}
}  // namespace

int wakeup_fd() {
  static const int fd = [] {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    g_wakeup_write.store(fds[1]);
    if (signal_received()) wake_up();  // a stop that came before the pipe existed
    return fds[0];
  }();
  return fd;
}

void install_handlers() {
  wakeup_fd();
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int s : kSignals) sigaction(s, &action, nullptr);
}

int signal_received() noexcept { return g_signal.load(std::memory_order_relaxed); }

void request(int signal) noexcept {
  int expected = 0;
  if (g_signal.compare_exchange_strong(expected, signal)) wake_up();
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
