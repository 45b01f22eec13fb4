#pragma once
// The live status file of a run, "<timeline>.status.json" (docs/status-format.md): what rank 0
// knows about the run while it goes, replaced about once a second, for `hybridscope watch` and
// other programs. Also the one place that turns those numbers into words: the progress line of
// `hybridscope run` and the view of `hybridscope watch` use the same formatting.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hybridscope::timeline {

inline constexpr int kStatusVersion = 1;

struct RankStatus {
  int rank = 0;
  std::string host;
  std::uint64_t items = 0;                 // items this rank has finished
  std::optional<std::uint64_t> planned;    // its share under a static strategy; none: taken as it goes
  double busy_share = 0;                   // time in items / (threads x elapsed)
  double age_s = 0;                        // seconds since rank 0 last heard of this rank
};

// One point of the recent past: how far the run was, and how busy its workers were since the point before.
struct StatusSample {
  double elapsed_s = 0;
  std::uint64_t done = 0;
  double busy_share = 0;
};

struct Status {
  int version = kStatusVersion;
  std::string state = "running";  // "running" or "ended"
  std::string timeline;           // the timeline's final path
  std::string strategy, workload;
  int ranks = 1, threads = 1, nodes = 1;
  std::vector<std::string> hosts;  // one per node, in rank order of their first rank
  std::uint64_t planned = 0, done = 0;
  double elapsed_s = 0;
  double heartbeat_unix = 0;       // rank 0's wall clock when it wrote the file
  double interval_s = 1;           // how often the file is replaced
  std::vector<RankStatus> rank_status;
  std::vector<StatusSample> history;  // oldest first, about the last ten minutes
  std::string outcome;             // when ended: "complete", "stopped by SIGTERM", "failed: ..."
  int exit_code = 0;               // when ended: the run's exit code

  double items_per_second() const { return elapsed_s > 0 ? double(done) / elapsed_s : 0; }
  std::optional<double> eta_s() const;
};

// "<timeline>.status.json"
std::string status_path_for(const std::string& timeline);

std::string to_json(const Status& status);
// Throws InputError naming `origin` when `text` is not a status file of this version.
Status parse_status(const std::string& text, const std::string& origin);
// Writes a temporary file in the same directory and renames it over `path`, so that a reader
// sees the old or the new file, never half of one. Returns false (and leaves no temporary file)
// when it cannot: a status file is a convenience, never a reason to stop a run.
bool replace_status_file(const std::string& path, const Status& status);

// "1:02:03", "4:05", "0:07"; "?" for none.
std::string format_duration(std::optional<double> seconds);
// The rank with the smallest share of its expected items (its static share, else an even split),
// and that share in [0, 1]; none without ranks.
std::optional<std::pair<int, double>> slowest_rank(const Status& status);
// "37/120 items (31%)  12.3 items/s  elapsed 0:03  ETA 0:07  slowest rank 1: 24%"
std::string progress_line(const Status& status);

}  // namespace hybridscope::timeline
