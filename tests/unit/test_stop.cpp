// Signals: the first SIGTERM/SIGINT/SIGUSR1 asks for a clean stop, the same signal again ends the
// process at once. Handlers are process-wide, so every case runs in a child process.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <poll.h>
#include <unistd.h>

#include "hybridscope/core/stop.hpp"

namespace hybridscope {
namespace {

class StopSignal : public ::testing::TestWithParam<int> {};

TEST_P(StopSignal, FirstAsksForAStopSecondEndsTheProcess) {
  const int signal = GetParam();
  EXPECT_EXIT(
      {
        stop::install_handlers();
        std::raise(signal);
        if (stop::signal_received() != signal) _exit(3);  // the first one only sets the flag
        std::fprintf(stderr, "survived the first\n");
        std::raise(signal);
        _exit(4);  // not reached: the second one kills
      },
      ::testing::KilledBySignal(signal), "survived the first");
}

TEST_P(StopSignal, ADifferentSecondSignalKeepsTheFirstAsTheReason) {
  const int signal = GetParam();
  const int other = signal == SIGINT ? SIGTERM : SIGINT;
  EXPECT_EXIT(
      {
        stop::install_handlers();
        std::raise(signal);
        std::raise(other);
        _exit(stop::signal_received() == signal ? 0 : 3);
      },
      ::testing::ExitedWithCode(0), "");
}

// A thread blocked in poll() (a farm waiting for its task) wakes up at the stop, and so does one that
// polls later: the descriptor stays readable.
[[noreturn]] void poll_around_a_stop(int signal) {
  stop::install_handlers();
  pollfd fd{};
  fd.fd = stop::wakeup_fd();
  fd.events = POLLIN;
  if (::poll(&fd, 1, 0) != 0) _exit(3);  // nothing yet
  std::raise(signal);
  for (int i = 0; i < 2; ++i)
    if (::poll(&fd, 1, 0) != 1 || !(fd.revents & POLLIN)) _exit(4);
  _exit(0);
}

TEST_P(StopSignal, TheWakeupDescriptorBecomesReadableAndStaysSo) {
  EXPECT_EXIT(poll_around_a_stop(GetParam()), ::testing::ExitedWithCode(0), "");
}

INSTANTIATE_TEST_SUITE_P(Signals, StopSignal, ::testing::Values(SIGTERM, SIGINT, SIGUSR1));

}  // namespace
}  // namespace hybridscope
