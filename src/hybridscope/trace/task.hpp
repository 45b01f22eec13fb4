#pragma once
// The attempts of a task farm (workload.kind = "command"): one row of the timeline's /tasks per
// attempt, and where each attempt's output is kept. docs/task-farms.md.
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace hybridscope::trace {

struct TaskAttempt {
  std::uint64_t item = 0;
  std::int32_t rank = 0;
  std::int32_t thread = 0;
  std::int32_t attempt = 0;               // 0 for the first run of the item, then 1, 2, ... for retries
  std::int64_t pid = 0;
  std::int32_t exit_code = 0;             // the exit status; -1 when a signal ended the task
  std::int32_t signal = 0;                // the signal that ended it, or 0
  std::int64_t begin_ns = 0, end_ns = 0;  // the rank's clock while running; the run's time once written
  std::int64_t user_ns = 0, system_ns = 0;
  std::int64_t max_rss_kib = 0;           // peak resident memory of the task's largest process
  bool abandoned = false;                 // a stop ended it: the item is not done, a resumed run runs it

  bool succeeded() const { return exit_code == 0; }
  // What the attempt adds to the run checksum: 0 for success, so that a fully successful farm has
  // the same checksum in every layout.
  std::uint64_t status_value() const {
    return exit_code >= 0 ? static_cast<std::uint64_t>(exit_code) : 256 + static_cast<std::uint64_t>(signal);
  }
};

// Items per folder of a farm's output: 100 000 tasks make 100 folders of at most 2000 files.
inline constexpr std::uint64_t kTasksPerFolder = 1000;

// Where an attempt's stdout ("out") or stderr ("err") goes: DIR/<item / 1000>/<item>.out for the
// first attempt, <item>.<attempt>.out for retries. The file exists only when the task wrote to it.
inline std::string task_output_path(std::string_view dir, std::uint64_t item, int attempt, std::string_view stream) {
  if (attempt == 0) return fmt::format("{}/{}/{}.{}", dir, item / kTasksPerFolder, item, stream);
  return fmt::format("{}/{}/{}.{}.{}", dir, item / kTasksPerFolder, item, attempt, stream);
}

}  // namespace hybridscope::trace
