#include "hybridscope/timeline/status.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "hybridscope/core/error.hpp"

namespace hybridscope::timeline {

using nlohmann::json;

std::optional<double> Status::eta_s() const {
  if (done >= planned) return 0.0;
  if (done == 0 || elapsed_s <= 0) return std::nullopt;
  return elapsed_s * double(planned - done) / double(done);
}

std::string status_path_for(const std::string& timeline) { return timeline + ".status.json"; }

namespace {
json optional_number(const std::optional<double>& value) { return value ? json(*value) : json(nullptr); }

json rank_json(const RankStatus& r) {
  return {{"rank", r.rank},
          {"host", r.host},
          {"items", r.items},
          {"planned", r.planned ? json(*r.planned) : json(nullptr)},
          {"busy_share", r.busy_share},
          {"age_s", r.age_s}};
}

RankStatus rank_from(const json& j) {
  RankStatus r;
  r.rank = j.at("rank").get<int>();
  r.host = j.at("host").get<std::string>();
  r.items = j.at("items").get<std::uint64_t>();
  if (!j.at("planned").is_null()) r.planned = j.at("planned").get<std::uint64_t>();
  r.busy_share = j.at("busy_share").get<double>();
  r.age_s = j.at("age_s").get<double>();
  return r;
}
}  // namespace

std::string to_json(const Status& s) {
  json ranks = json::array(), history = json::array();
  for (const auto& r : s.rank_status) ranks.push_back(rank_json(r));
  for (const auto& h : s.history) history.push_back({h.elapsed_s, h.done, h.busy_share});
  const json j = {{"format", "hybridscope-status"},
                  {"version", s.version},
                  {"state", s.state},
                  {"timeline", s.timeline},
                  {"strategy", s.strategy},
                  {"workload", s.workload},
                  {"layout", {{"ranks", s.ranks}, {"threads", s.threads}, {"nodes", s.nodes}}},
                  {"hosts", s.hosts},
                  {"items", {{"planned", s.planned}, {"done", s.done}}},
                  {"elapsed_s", s.elapsed_s},
                  {"items_per_second", s.items_per_second()},
                  {"eta_s", optional_number(s.eta_s())},
                  {"heartbeat_unix", s.heartbeat_unix},
                  {"interval_s", s.interval_s},
                  {"ranks", ranks},
                  {"history", history},
                  {"outcome", s.outcome},
                  {"exit_code", s.exit_code}};
  return j.dump(1);
}

Status parse_status(const std::string& text, const std::string& origin) {
  const auto refuse = [&](const std::string& why) {
    return InputError(fmt::format("{}: {} (accepted: the .status.json file of a hybridscope run, format version {})",
                                  origin, why, kStatusVersion));
  };
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw refuse(fmt::format("not JSON ({})", e.what()));
  }
  if (!j.is_object() || j.value("format", "") != "hybridscope-status") throw refuse("not a status file");
  if (j.value("version", 0) != kStatusVersion) throw refuse(fmt::format("version {}", j.value("version", 0)));
  try {
    Status s;
    s.state = j.at("state").get<std::string>();
    s.timeline = j.at("timeline").get<std::string>();
    s.strategy = j.at("strategy").get<std::string>();
    s.workload = j.at("workload").get<std::string>();
    s.ranks = j.at("layout").at("ranks").get<int>();
    s.threads = j.at("layout").at("threads").get<int>();
    s.nodes = j.at("layout").at("nodes").get<int>();
    s.hosts = j.at("hosts").get<std::vector<std::string>>();
    s.planned = j.at("items").at("planned").get<std::uint64_t>();
    s.done = j.at("items").at("done").get<std::uint64_t>();
    s.elapsed_s = j.at("elapsed_s").get<double>();
    s.heartbeat_unix = j.at("heartbeat_unix").get<double>();
    s.interval_s = j.at("interval_s").get<double>();
    for (const auto& r : j.at("ranks")) s.rank_status.push_back(rank_from(r));
    for (const auto& h : j.at("history"))
      s.history.push_back({h.at(0).get<double>(), h.at(1).get<std::uint64_t>(), h.at(2).get<double>()});
    s.outcome = j.at("outcome").get<std::string>();
    s.exit_code = j.at("exit_code").get<int>();
    return s;
  } catch (const json::exception& e) {
    throw refuse(fmt::format("a field is missing or has the wrong type ({})", e.what()));
  }
}

bool replace_status_file(const std::string& path, const Status& status) {
  const std::filesystem::path target(path);
  const auto temporary =
      (target.parent_path() / fmt::format(".{}.tmp-{}", target.filename().string(), ::getpid())).string();
  const auto text = to_json(status) + "\n";
  std::FILE* out = std::fopen(temporary.c_str(), "w");
  if (!out) return false;
  const bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  const bool closed = std::fclose(out) == 0;
  if (written && closed && std::rename(temporary.c_str(), path.c_str()) == 0) return true;
  std::remove(temporary.c_str());
  return false;
}

std::string format_duration(std::optional<double> seconds) {
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0) return "?";
  const auto total = static_cast<std::uint64_t>(std::llround(*seconds));
  const auto h = total / 3600, m = total / 60 % 60, s = total % 60;
  return h ? fmt::format("{}:{:02}:{:02}", h, m, s) : fmt::format("{}:{:02}", m, s);
}

std::optional<std::pair<int, double>> slowest_rank(const Status& status) {
  std::optional<std::pair<int, double>> slowest;
  const double even = status.ranks > 0 ? double(status.planned) / status.ranks : 0;
  for (const auto& r : status.rank_status) {
    const double expected = r.planned ? double(*r.planned) : even;
    const double share = expected > 0 ? std::min(1.0, double(r.items) / expected) : 1.0;
    if (!slowest || share < slowest->second) slowest = std::pair{r.rank, share};
  }
  return slowest;
}

std::string progress_line(const Status& s) {
  const double percent = s.planned ? 100.0 * double(s.done) / double(s.planned) : 100.0;
  auto line = fmt::format("{}/{} items ({:.0f}%)  {:.1f} items/s  elapsed {}  ETA {}", s.done, s.planned,
                          std::floor(percent), s.items_per_second(), format_duration(s.elapsed_s),
                          format_duration(s.eta_s()));
  if (const auto slowest = slowest_rank(s); slowest && s.ranks > 1)
    line += fmt::format("  slowest rank {}: {:.0f}%", slowest->first, std::floor(100 * slowest->second));
  return line;
}

}  // namespace hybridscope::timeline
