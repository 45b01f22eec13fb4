#include "hybridscope/analysis/watch.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "hybridscope/analysis/report.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/timeline/reader.hpp"

namespace hybridscope::analysis {

namespace {
namespace fs = std::filesystem;
constexpr std::string_view kSuffix = ".status.json";

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The file as it is now, or nothing while it cannot be read (being replaced over NFS, say).
std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int terminal_width() {
  winsize size{};
  return ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 20 ? size.ws_col : 80;
}

std::string bar(double fraction, int width) {
  const int full = static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * width));
  return "[" + std::string(std::size_t(full), '#') + std::string(std::size_t(width - full), '.') + "]";
}

// Samples of utilisation as one character each, from low to high.
std::string sparkline(const std::vector<timeline::StatusSample>& history) {
  static constexpr std::string_view kLevels = " .:-=+*#%@";
  std::string line;
  for (const auto& h : history)
    line += kLevels[std::size_t(std::lround(std::clamp(h.busy_share, 0.0, 1.0) * double(kLevels.size() - 1)))];
  return line;
}

// One bar: items done against those expected (a static share, else an even split).
struct Lane {
  std::string label;
  std::uint64_t items = 0;
  double expected = 0;
  double busy = 0;  // summed over its ranks
  int ranks = 0;
};

std::vector<Lane> lanes(const timeline::Status& s) {
  const bool by_node = int(s.rank_status.size()) > kRankBars;
  const double even = s.ranks > 0 ? double(s.planned) / s.ranks : 0;
  std::vector<Lane> out;
  for (const auto& r : s.rank_status) {
    const auto label = by_node ? fmt::format("node {}", r.host) : fmt::format("rank {} {}", r.rank, r.host);
    auto at = std::find_if(out.begin(), out.end(), [&](const Lane& l) { return l.label == label; });
    if (at == out.end()) at = out.insert(out.end(), Lane{label});
    at->items += r.items;
    at->expected += r.planned ? double(*r.planned) : even;
    at->busy += r.busy_share;
    ++at->ranks;
  }
  return out;
}

std::string state_line(const timeline::Status& s, const WatchState& state) {
  if (state.name == "ended")
    return fmt::format("ended: {} (exit code {})", s.outcome.empty() ? "?" : s.outcome, s.exit_code);
  if (state.name == "stalled")
    return fmt::format("STALLED: no heartbeat for {:.0f} s (the job was killed, or its node or file system is "
                       "stuck)", state.silent_s);
  return fmt::format("{} (heartbeat {:.0f} s ago)", s.state, state.silent_s);
}

// The timeline beside the status file, where the run writes it whatever path it was given.
std::string timeline_of(const std::string& status_path) {
  return status_path.substr(0, status_path.size() - kSuffix.size());
}

// The file as it is now. Once one was read, a failed read or parse (NFS in the middle of a rename,
// the file deleted) keeps the last one: a job that stops updating it shows as stalled.
timeline::Status latest_status(const std::string& path, const std::optional<timeline::Status>& last) {
  const auto text = read_text(path);
  if (!last) {
    if (!text) throw InputError(fmt::format("watch {}: cannot read it", path));
    return timeline::parse_status(*text, path);
  }
  try {
    return text ? timeline::parse_status(*text, path) : *last;
  } catch (const InputError&) {
    return *last;
  }
}

void print_report(const std::string& timeline) {
  if (!fs::exists(timeline)) {
    fmt::print("report     no timeline at {} (the run ended before writing it)\n", timeline);
    return;
  }
  fmt::print("\n{}", to_text(analyse(timeline::load(timeline, timeline::Load::intervals))));
}
}  // namespace

std::string find_status_file(const std::string& path) {
  const std::vector<std::string> candidates = {path, path + std::string(kSuffix), path + ".h5" + std::string(kSuffix)};
  for (const auto& c : candidates)
    if (c.ends_with(kSuffix) && fs::is_regular_file(c)) return c;
  std::string tried;
  for (const auto& c : candidates)
    if (c.ends_with(kSuffix)) tried += fmt::format("{}{}", tried.empty() ? "" : ", ", c);
  throw InputError(fmt::format("watch {}: no status file (tried {}; accepted: a run's .status.json, or the "
                               "timeline path or name it belongs to)", path, tried));
}

WatchState judge(const timeline::Status& status, double unchanged_s, bool seen_change, double now_unix,
                 double stalled_after_s) {
  if (status.state == "ended") return {"ended", 0};
  const double silent = seen_change ? unchanged_s : std::max(unchanged_s, now_unix - status.heartbeat_unix);
  return {silent >= stalled_after_s ? "stalled" : "running", std::max(0.0, silent)};
}

std::string render_watch(const timeline::Status& s, const WatchState& state, const std::string& origin, int width) {
  std::string out = fmt::format("watch      {}\n", origin);
  out += fmt::format("state      {}\n", state_line(s, state));
  out += fmt::format("layout     {} ranks x {} threads on {} node{}: {}\n", s.ranks, s.threads, s.nodes,
                     s.nodes == 1 ? "" : "s", fmt::join(s.hosts, ", "));
  out += fmt::format("strategy   {}, workload {}\n", s.strategy, s.workload);
  out += fmt::format("progress   {}\n", timeline::progress_line(s));
  const auto all = lanes(s);
  std::size_t label_width = 0;
  for (const auto& l : all) label_width = std::max(label_width, l.label.size());
  const int bar_width = std::max(10, width - int(label_width) - 40);
  for (const auto& l : all)
    out += fmt::format("{:<{}} {} {:>7}/{:<7.0f} busy {:3.0f}%\n", l.label, label_width,
                       bar(l.expected > 0 ? double(l.items) / l.expected : 1, bar_width), l.items, l.expected,
                       100 * l.busy / std::max(1, l.ranks));
  if (!s.history.empty())
    out += fmt::format("busy       last {}: |{}| now {:.0f}%\n", timeline::format_duration(s.history.back().elapsed_s -
                                                                   s.history.front().elapsed_s + 10),
                       sparkline(s.history), 100 * s.history.back().busy_share);
  return out;
}

int watch_command(const WatchOptions& o) {
  const auto path = find_status_file(o.path);
  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  double last_heartbeat = -1;
  bool seen_change = false;
  auto changed_at = std::chrono::steady_clock::now();
  std::optional<timeline::Status> status;
  for (;;) {
    status = latest_status(path, status);
    const auto now = std::chrono::steady_clock::now();
    if (status->heartbeat_unix != last_heartbeat) {
      if (last_heartbeat >= 0) seen_change = true;
      last_heartbeat = status->heartbeat_unix;
      changed_at = now;
    }
    const auto state = judge(*status, std::chrono::duration<double>(now - changed_at).count(), seen_change,
                             unix_now(), o.stalled_after_s);
    const auto view = render_watch(*status, state, path, terminal ? terminal_width() : 80);
    fmt::print("{}{}", terminal ? "\033[H\033[2J" : "", view);
    std::fflush(stdout);
    if (state.name == "ended") {
      print_report(timeline_of(path));
      return 0;
    }
    if (o.once) return state.name == "stalled" ? 1 : 0;
    if (!terminal) fmt::print("\n");
    std::this_thread::sleep_for(std::chrono::duration<double>(o.every_s));
  }
}

}  // namespace hybridscope::analysis
