// Signals: the first SIGTERM/SIGINT/SIGUSR1 asks for a clean stop, the same signal again ends the
// process at once. Handlers are process-wide, so every case runs in a child process.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
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

INSTANTIATE_TEST_SUITE_P(Signals, StopSignal, ::testing::Values(SIGTERM, SIGINT, SIGUSR1));

}  // namespace
}  // namespace hybridscope
