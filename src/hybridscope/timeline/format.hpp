#pragma once
// The timeline file's format, described once: the schema version, every root attribute, table and
// column with its type, unit and meaning. The writer, the reader and the documentation test
// (tests/unit/test_timeline_format.cpp) all take the names from here; docs/timeline-format.md
// explains them for people.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "hybridscope/trace/interval.hpp"

namespace hybridscope::timeline {

// Changes whenever a name, type or meaning below does.
inline constexpr std::int64_t kSchemaVersion = 3;
// The oldest schema the reader still reads (2: before task farms and resumed runs).
inline constexpr std::int64_t kOldestReadableSchema = 2;

// How a field is stored. `kind` is the 8-bit enum of trace::Activity, named by kActivityNames.
enum class Type { i16, i32, i64, u8, u16, u32, u64, f64, text, kind };

struct Field {
  std::string_view table;  // the group of a column; empty for a root attribute
  std::string_view name;
  Type type;
  std::string_view unit = {};  // stored as the dataset's `unit` attribute when not empty
  std::string path() const { return table.empty() ? std::string(name) : std::string(table) + "/" + std::string(name); }
};

namespace attributes {
inline constexpr Field schema_version{"", "schema_version", Type::i64};
inline constexpr Field producer{"", "producer", Type::text};
inline constexpr Field complete{"", "complete", Type::i64};
inline constexpr Field stop_reason{"", "stop_reason", Type::text};
inline constexpr Field start_time_utc{"", "start_time_utc", Type::text};
inline constexpr Field command_line{"", "command_line", Type::text};
inline constexpr Field mpi_library{"", "mpi_library", Type::text};
inline constexpr Field hdf5_library{"", "hdf5_library", Type::text};
inline constexpr Field ranks{"", "ranks", Type::i64};
inline constexpr Field threads_per_rank{"", "threads_per_rank", Type::i64};
inline constexpr Field nodes{"", "nodes", Type::i64};
inline constexpr Field strategy{"", "strategy", Type::text};
inline constexpr Field handout{"", "handout", Type::text};
inline constexpr Field workload{"", "workload", Type::text};
inline constexpr Field workload_description{"", "workload_description", Type::text};
inline constexpr Field items_planned{"", "items_planned", Type::i64};
inline constexpr Field items_done{"", "items_done", Type::i64};
inline constexpr Field checksum{"", "checksum", Type::text};
inline constexpr Field wall_seconds{"", "wall_seconds", Type::f64};
inline constexpr Field items_failed{"", "items_failed", Type::i64};
inline constexpr Field checksum_succeeded{"", "checksum_succeeded", Type::text};
inline constexpr Field resumed_from{"", "resumed_from", Type::text};
inline constexpr Field items_carried{"", "items_carried", Type::i64};
inline constexpr Field checksum_carried{"", "checksum_carried", Type::text};
inline constexpr Field task_output{"", "task_output", Type::text};
inline constexpr Field tasks_digest{"", "tasks_digest", Type::text};
inline constexpr Field time_unit{"", "time_unit", Type::text};
inline constexpr Field time_origin{"", "time_origin", Type::text};
}  // namespace attributes

inline constexpr std::string_view kTimeUnit = "ns";
inline constexpr std::string_view kTimeOrigin = "first begin of any rank, on rank 0's CLOCK_MONOTONIC";

namespace intervals {
inline constexpr Field rank{"intervals", "rank", Type::u32};
inline constexpr Field thread{"intervals", "thread", Type::u16};
inline constexpr Field kind{"intervals", "kind", Type::kind};
inline constexpr Field cpu{"intervals", "cpu", Type::i16};
inline constexpr Field chunk{"intervals", "chunk", Type::i64};
inline constexpr Field item{"intervals", "item", Type::i64};
inline constexpr Field cpu_ns{"intervals", "cpu_ns", Type::i64, "ns"};
inline constexpr Field begin_ns{"intervals", "begin_ns", Type::i64, "ns"};
inline constexpr Field end_ns{"intervals", "end_ns", Type::i64, "ns"};
}  // namespace intervals

namespace threads {
inline constexpr Field rank{"threads", "rank", Type::i32};
inline constexpr Field thread{"threads", "thread", Type::i32};
inline constexpr Field os_thread_id{"threads", "os_thread_id", Type::i64};
inline constexpr Field allowed_cpus{"threads", "allowed_cpus", Type::text};
inline constexpr Field openmp_place{"threads", "openmp_place", Type::text};
inline constexpr Field items{"threads", "items", Type::u64};
inline constexpr Field intervals{"threads", "intervals", Type::u64};
inline constexpr Field dropped_intervals{"threads", "dropped_intervals", Type::u64};
inline constexpr Field item_cpu_ns{"threads", "item_cpu_ns", Type::i64, "ns"};
inline constexpr Field measured_item_ns{"threads", "measured_item_ns", Type::i64, "ns"};
// Time per activity kind: "<kind>_ns" for every name of trace::kActivityNames.
inline constexpr std::array<Field, trace::kActivityCount> kind_ns = [] {
  constexpr std::string_view names[] = {"startup_ns",  "work_ns",      "io_ns",  "idle_ns", "handout_ns",
                                        "lock_wait_ns", "shutdown_ns", "abandoned_ns", "mpi_ns"};
  static_assert(std::size(names) == trace::kActivityCount);
  std::array<Field, trace::kActivityCount> out{};
  for (std::size_t k = 0; k < out.size(); ++k) {
    const std::string_view kind = trace::kActivityNames[k];
    // Not a constant expression, so a name that does not follow the kinds fails to compile.
    if (names[k] != std::string_view(names[k].data(), kind.size() + 3) || !names[k].starts_with(kind) ||
        !names[k].ends_with("_ns"))
      throw "threads::kind_ns must be the activity names followed by _ns";
    out[k] = {"threads", names[k], Type::i64, "ns"};
  }
  return out;
}();
}  // namespace threads

namespace ranks {
inline constexpr Field rank{"ranks", "rank", Type::i32};
inline constexpr Field host{"ranks", "host", Type::text};
inline constexpr Field pid{"ranks", "pid", Type::i64};
inline constexpr Field local_rank{"ranks", "local_rank", Type::i32};
inline constexpr Field allowed_cpus{"ranks", "allowed_cpus", Type::text};
inline constexpr Field begin_ns{"ranks", "begin_ns", Type::i64, "ns"};
inline constexpr Field end_ns{"ranks", "end_ns", Type::i64, "ns"};
inline constexpr Field items{"ranks", "items", Type::u64};
inline constexpr Field checksum{"ranks", "checksum", Type::u64};
inline constexpr Field intervals{"ranks", "intervals", Type::u64};
inline constexpr Field dropped_intervals{"ranks", "dropped_intervals", Type::u64};
inline constexpr Field max_rss_kib{"ranks", "max_rss_kib", Type::i64, "KiB"};
inline constexpr Field clock_offset_start_ns{"ranks", "clock_offset_start_ns", Type::i64, "ns"};
inline constexpr Field clock_offset_end_ns{"ranks", "clock_offset_end_ns", Type::i64, "ns"};
inline constexpr Field clock_round_trip_start_ns{"ranks", "clock_round_trip_start_ns", Type::i64, "ns"};
inline constexpr Field clock_round_trip_end_ns{"ranks", "clock_round_trip_end_ns", Type::i64, "ns"};
}  // namespace ranks

namespace hosts {
inline constexpr Field host{"hosts", "host", Type::text};
inline constexpr Field ranks{"hosts", "ranks", Type::i32};
inline constexpr Field packages{"hosts", "packages", Type::i32};
inline constexpr Field cores{"hosts", "cores", Type::i32};
inline constexpr Field pus{"hosts", "pus", Type::i32};
inline constexpr Field numa_nodes{"hosts", "numa_nodes", Type::i32};
}  // namespace hosts

namespace clock_samples {
inline constexpr Field rank{"clock_samples", "rank", Type::i32};
inline constexpr Field phase{"clock_samples", "phase", Type::i32};
inline constexpr Field local_send_ns{"clock_samples", "local_send_ns", Type::i64, "ns"};
inline constexpr Field root_ns{"clock_samples", "root_ns", Type::i64, "ns"};
inline constexpr Field local_recv_ns{"clock_samples", "local_recv_ns", Type::i64, "ns"};
}  // namespace clock_samples

namespace tasks {
inline constexpr Field item{"tasks", "item", Type::i64};
inline constexpr Field rank{"tasks", "rank", Type::i32};
inline constexpr Field thread{"tasks", "thread", Type::i32};
inline constexpr Field attempt{"tasks", "attempt", Type::i32};
inline constexpr Field pid{"tasks", "pid", Type::i64};
inline constexpr Field exit_code{"tasks", "exit_code", Type::i32};
inline constexpr Field signal{"tasks", "signal", Type::i32};
inline constexpr Field begin_ns{"tasks", "begin_ns", Type::i64, "ns"};
inline constexpr Field end_ns{"tasks", "end_ns", Type::i64, "ns"};
inline constexpr Field user_ns{"tasks", "user_ns", Type::i64, "ns"};
inline constexpr Field system_ns{"tasks", "system_ns", Type::i64, "ns"};
inline constexpr Field max_rss_kib{"tasks", "max_rss_kib", Type::i64, "KiB"};
inline constexpr Field abandoned{"tasks", "abandoned", Type::u8};
}  // namespace tasks

namespace succeeded {
inline constexpr Field first{"succeeded", "first", Type::u64};
inline constexpr Field count{"succeeded", "count", Type::u64};
}  // namespace succeeded

namespace carried {
inline constexpr Field first{"carried", "first", Type::u64};
inline constexpr Field count{"carried", "count", Type::u64};
}  // namespace carried

namespace input {
inline constexpr Field origin{"input", "origin", Type::text};
inline constexpr Field given{"input", "given", Type::text};
inline constexpr Field resolved{"input", "resolved", Type::text};
}  // namespace input

namespace environment {
inline constexpr Field name{"environment", "name", Type::text};
inline constexpr Field value{"environment", "value", Type::text};
}  // namespace environment

// Every root attribute and column above, in the order the writer writes them.
std::span<const Field> all_fields();

// The table names, in the order the writer writes them.
inline constexpr std::string_view kTables[] = {"input",       "ranks",     "threads", "hosts",   "clock_samples",
                                               "environment", "intervals", "tasks",   "succeeded", "carried"};

}  // namespace hybridscope::timeline
