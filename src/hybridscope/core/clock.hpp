#pragma once
#include <time.h>

#include <cstdint>

namespace hybridscope {

// Monotonic nanoseconds; the vDSO makes this a ~20 ns call without a system call.
inline std::int64_t now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// CPU time the calling thread has used. A system call (no vDSO path, ~0.3 us): read it around
// items only, never on the hand-out's hot path.
inline std::int64_t thread_cpu_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace hybridscope
