#pragma once
// A timeline file read back for post-processing (docs/timeline-format.md). Reading needs no MPI.
#include <cstdint>
#include <string>
#include <vector>

#include "hybridscope/trace/interval.hpp"

namespace hybridscope::analysis {

struct RunInfo {
  std::string path;
  std::string producer;
  bool complete = false;
  std::string stop_reason;
  std::string start_time_utc;
  int ranks = 0;
  int threads_per_rank = 0;
  int nodes = 0;
  std::string strategy;
  std::string handout;
  std::string workload;
  std::string workload_description;
  std::int64_t items_planned = 0;
  std::int64_t items_done = 0;
  std::string checksum;
  double wall_seconds = 0;
  int workers() const { return ranks * threads_per_rank; }
};

// One row per thread, as in /threads.
struct ThreadRow {
  int rank = 0;
  int thread = 0;
  std::string allowed_cpus;
  std::uint64_t items = 0;
  std::uint64_t dropped = 0;
  std::int64_t ns[trace::kActivityCount] = {};  // time per activity kind
  std::int64_t useful_ns() const {
    return ns[std::size_t(trace::Activity::work)] + ns[std::size_t(trace::Activity::io)];
  }
};

struct RankRow {
  int rank = 0;
  std::string host;
  std::int64_t clock_round_trip_ns = 0;  // the best ping-pong at the start: bounds the clock error
};

struct HostRow {
  std::string host;
  int ranks = 0;
  int cores = 0;
  int pus = 0;
};

// The interval columns the analyses need; rows ordered by rank, thread, time.
struct Intervals {
  std::vector<std::uint32_t> rank;
  std::vector<std::uint16_t> thread;
  std::vector<std::uint8_t> kind;
  std::vector<std::int16_t> cpu;
  std::vector<std::int64_t> begin_ns, end_ns;
  std::vector<std::int64_t> chunk, item;  // only when asked for
  std::size_t size() const { return rank.size(); }
};

struct Timeline {
  RunInfo info;
  std::vector<ThreadRow> threads;
  std::vector<RankRow> ranks;
  std::vector<HostRow> hosts;
  Intervals intervals;  // empty unless loaded
};

enum class Load { summary, intervals, intervals_with_items };

// Throws InputError naming the file when it cannot be read or is not a hybridscope timeline.
Timeline load_timeline(const std::string& path, Load what);

}  // namespace hybridscope::analysis
