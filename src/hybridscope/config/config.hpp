#pragma once
// The run's input: parsed from TOML text plus --set overrides, validated, and rendered back to
// canonical TOML so that every rank (and the timeline) sees exactly what rank 0 resolved.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hybridscope {

enum class Strategy { static_block, static_cyclic, dynamic, guided };
enum class WorkloadKind { fib, spin, sleep, file_io, triad, gil, irregular, plugin, python, command };
enum class Distribution { lognormal, uniform, bimodal };
// Where the dynamic/guided chunk counter lives: node shared memory, MPI RMA, or chosen by layout.
enum class CounterMode { automatic, shared, rma };

std::string_view to_string(Strategy s);
std::string_view to_string(WorkloadKind k);
std::string_view to_string(Distribution d);
std::string_view to_string(CounterMode m);

struct WorkloadConfig {
  WorkloadKind kind = WorkloadKind::fib;
  int n = 30;                         // fib: argument of the recursive Fibonacci
  double seconds = 0.01;              // spin, sleep, gil: per item; irregular: mean per item
  std::uint64_t bytes = 1 << 20;      // file_io: bytes written, fsynced and read back per item
  std::string dir;                    // file_io: parent of the private scratch directory
  std::uint64_t elements = 1 << 20;   // triad: doubles per array (three arrays per thread)
  double switch_interval = 0.005;     // gil: how long a thread holds the lock (CPython default)
  Distribution distribution = Distribution::lognormal;  // irregular
  double sigma = 1.0;                 // irregular lognormal: sigma of the underlying normal
  double long_fraction = 0.1;         // irregular bimodal: share of long items
  double long_ratio = 10.0;           // irregular bimodal: long item cost / short item cost
  std::uint64_t seed = 1;             // irregular: seed of the item-cost draw
  // plugin and python (docs/kernels.md). Paths are absolute once parsed: a deck's relative to its
  // folder, --set's relative to the working directory.
  std::string library;                // plugin: the shared library
  std::string args;                   // plugin: passed to the kernel as context->args
  std::string file;                   // python: a .py file, or
  std::string module;                 // python: an importable module name
  std::string function = "work";      // python: the function called as function(item)
  // command (docs/task-farms.md): a shell command per item, from a template or a task file.
  std::string command;                // a template; {item} becomes the item number
  std::string tasks;                  // a file of commands, one per line (sets items)
  std::string output;                 // folder of the tasks' stdout/stderr; empty: beside the timeline
  int retries = 0;                    // re-runs of a failing task
  bool fail_fast = false;             // the first task that finally fails stops the farm
  double kill_grace = 10.0;           // seconds between SIGTERM and SIGKILL for tasks under way at a stop
};

struct RunConfig {
  // 0 only between parse_config and resolve_tasks (config/tasks.hpp) for a task file without `items`.
  std::uint64_t items = 64;
  std::uint64_t chunk = 1;
  Strategy strategy = Strategy::dynamic;
  int threads = 0;  // 0: take OpenMP's default (OMP_NUM_THREADS)
  CounterMode counter = CounterMode::automatic;
  WorkloadConfig workload;
};

// One "--set key=value" from the command line.
struct Override {
  std::string key;
  std::string value;
};

// Parses and validates an input deck. `origin` names the text in messages (a file path).
// Throws InputError with one line naming origin, key, value and what is accepted.
RunConfig parse_config(std::string_view toml_text, std::string_view origin,
                       const std::vector<Override>& overrides = {});

// Splits "key=value"; throws InputError when there is no '='.
Override parse_override(std::string_view assignment);

// Canonical TOML of a resolved configuration; parse_config(to_toml(c)) == c.
std::string to_toml(const RunConfig& config);

// A one-line description such as "fib n=30".
std::string describe(const WorkloadConfig& workload);

// The built-in input used by `hybridscope run` without a file, and its origin in messages.
extern const std::string_view kDefaultInput;
inline constexpr std::string_view kDefaultOrigin = "built-in default";

}  // namespace hybridscope
