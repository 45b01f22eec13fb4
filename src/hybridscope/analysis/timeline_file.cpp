#include "hybridscope/analysis/timeline_file.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "hybridscope/core/error.hpp"
#include "hybridscope/h5/h5.hpp"

namespace hybridscope::analysis {

namespace {
constexpr std::int64_t kSupportedSchema = 1;

RunInfo read_info(hid_t file, const std::string& path) {
  RunInfo i;
  i.path = path;
  const auto schema = h5::integer_attribute(file, "schema_version");
  if (schema != kSupportedSchema)
    throw InputError(fmt::format("{}: schema_version {} (accepted: {}; a newer hybridscope wrote it?)",
                                 path, schema, kSupportedSchema));
  i.producer = h5::string_attribute(file, "producer");
  i.complete = h5::integer_attribute(file, "complete") != 0;
  i.stop_reason = h5::string_attribute(file, "stop_reason");
  i.start_time_utc = h5::string_attribute(file, "start_time_utc");
  i.ranks = int(h5::integer_attribute(file, "ranks"));
  i.threads_per_rank = int(h5::integer_attribute(file, "threads_per_rank"));
  i.nodes = int(h5::integer_attribute(file, "nodes"));
  i.strategy = h5::string_attribute(file, "strategy");
  i.handout = h5::string_attribute(file, "handout");
  i.workload = h5::string_attribute(file, "workload");
  i.workload_description = h5::string_attribute(file, "workload_description");
  i.items_planned = h5::integer_attribute(file, "items_planned");
  i.items_done = h5::integer_attribute(file, "items_done");
  i.checksum = h5::string_attribute(file, "checksum");
  i.wall_seconds = h5::double_attribute(file, "wall_seconds");
  return i;
}

std::vector<ThreadRow> read_threads(hid_t file) {
  const auto rank = h5::read_column<std::int32_t>(file, "threads/rank");
  const auto thread = h5::read_column<std::int32_t>(file, "threads/thread");
  const auto allowed = h5::read_strings(file, "threads/allowed_cpus");
  const auto items = h5::read_column<std::uint64_t>(file, "threads/items");
  const auto dropped = h5::read_column<std::uint64_t>(file, "threads/dropped_intervals");
  std::vector<ThreadRow> rows(rank.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    rows[i] = {rank[i], thread[i], allowed.at(i), items.at(i), dropped.at(i), {}};
  for (std::size_t k = 0; k < trace::kActivityCount; ++k) {
    const auto ns = h5::read_column<std::int64_t>(file, fmt::format("threads/{}_ns", trace::kActivityNames[k]));
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i].ns[k] = ns.at(i);
  }
  return rows;
}

std::vector<RankRow> read_ranks(hid_t file) {
  const auto rank = h5::read_column<std::int32_t>(file, "ranks/rank");
  const auto host = h5::read_strings(file, "ranks/host");
  const auto trip = h5::read_column<std::int64_t>(file, "ranks/clock_round_trip_start_ns");
  std::vector<RankRow> rows(rank.size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = {rank[i], host.at(i), trip.at(i)};
  return rows;
}

std::vector<HostRow> read_hosts(hid_t file) {
  const auto host = h5::read_strings(file, "hosts/host");
  const auto ranks = h5::read_column<std::int32_t>(file, "hosts/ranks");
  const auto cores = h5::read_column<std::int32_t>(file, "hosts/cores");
  const auto pus = h5::read_column<std::int32_t>(file, "hosts/pus");
  std::vector<HostRow> rows(host.size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = {host[i], ranks.at(i), cores.at(i), pus.at(i)};
  return rows;
}
}  // namespace

Timeline load_timeline(const std::string& path, Load what) {
  if (!std::filesystem::is_regular_file(path))
    throw InputError(fmt::format("{}: no such timeline file (accepted: an .h5 file written by "
                                 "hybridscope run)", path));
  try {
    auto file = h5::open_file(path);
    Timeline t;
    t.info = read_info(file.get(), path);
    t.threads = read_threads(file.get());
    t.ranks = read_ranks(file.get());
    t.hosts = read_hosts(file.get());
    if (what != Load::summary) {
      auto& c = t.intervals;
      c.rank = h5::read_column<std::uint32_t>(file.get(), "intervals/rank");
      c.thread = h5::read_column<std::uint16_t>(file.get(), "intervals/thread");
      c.kind = h5::read_column<std::uint8_t>(file.get(), "intervals/kind");
      c.cpu = h5::read_column<std::int16_t>(file.get(), "intervals/cpu");
      c.begin_ns = h5::read_column<std::int64_t>(file.get(), "intervals/begin_ns");
      c.end_ns = h5::read_column<std::int64_t>(file.get(), "intervals/end_ns");
      if (what == Load::intervals_with_items) {
        c.chunk = h5::read_column<std::int64_t>(file.get(), "intervals/chunk");
        c.item = h5::read_column<std::int64_t>(file.get(), "intervals/item");
      }
      const auto n = c.rank.size();
      if (c.thread.size() != n || c.kind.size() != n || c.cpu.size() != n || c.begin_ns.size() != n ||
          c.end_ns.size() != n)
        throw InputError(fmt::format("{}: the /intervals columns differ in length (accepted: a "
                                     "timeline written by hybridscope run)", path));
      for (const auto k : c.kind)
        if (k >= trace::kActivityCount)
          throw InputError(fmt::format("{}: interval kind code {} (accepted: 0-{})", path, k,
                                       trace::kActivityCount - 1));
    }
    return t;
  } catch (const h5::H5Error& e) {
    throw InputError(fmt::format("{}: not a readable hybridscope timeline: {}", path, e.what()));
  }
}

}  // namespace hybridscope::analysis
