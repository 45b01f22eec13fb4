#pragma once
// `hybridscope watch`: a running (or finished) job seen through its status file, from anywhere that
// sees the file (a login node over a shared file system); its report once it ends.
#include <optional>
#include <string>

#include "hybridscope/timeline/status.hpp"

namespace hybridscope::analysis {

struct WatchOptions {
  std::string path;            // the status file, or the timeline (or its name without .h5) it belongs to
  double stalled_after_s = 60; // no new heartbeat for this long: stalled
  double every_s = 1;          // how often the file is read again
  bool once = false;           // one view, then exit (1 when stalled)
};

// Where the status file of `path` is; throws InputError naming what was tried.
std::string find_status_file(const std::string& path);

// The job as watch sees it: "running", "ended" or "stalled", and for how long no heartbeat came.
struct WatchState {
  std::string name;
  double silent_s = 0;
};

// How long no heartbeat came: the time since watch saw it change, or, before it saw a change, the
// difference of the two hosts' clocks and the heartbeat (which a clock skew can distort).
WatchState judge(const timeline::Status& status, double unchanged_s, bool seen_change, double now_unix,
                 double stalled_after_s);

// The view: state, layout, overall progress, a bar per rank (per node beyond kRankBars ranks),
// utilisation over the recent past. `width` is the terminal's.
inline constexpr int kRankBars = 16;
std::string render_watch(const timeline::Status& status, const WatchState& state, const std::string& origin,
                         int width = 80);

// Runs the command; returns its exit code.
int watch_command(const WatchOptions& options);

}  // namespace hybridscope::analysis
