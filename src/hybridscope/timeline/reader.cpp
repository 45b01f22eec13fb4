#include "hybridscope/timeline/reader.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "hybridscope/core/error.hpp"
#include "hybridscope/h5/h5.hpp"
#include "hybridscope/timeline/format.hpp"

namespace hybridscope::timeline {

namespace {

std::string text(const h5::File& f, const Field& field) { return f.string_attribute(std::string(field.name)); }
std::int64_t integer(const h5::File& f, const Field& field) { return f.integer_attribute(std::string(field.name)); }

template <typename T>
std::vector<T> column(const h5::File& f, const Field& field) {
  return f.read_column<T>(field.path());
}
std::vector<std::string> strings(const h5::File& f, const Field& field) { return f.read_strings(field.path()); }

std::uint64_t parse_checksum(const std::string& text, const std::string& path) {
  std::uint64_t value = 0;
  std::size_t used = 0;
  try {
    value = std::stoull(text, &used, 16);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.size() != 16 || used != text.size())
    throw InputError(fmt::format("{}: checksum '{}' (accepted: 16 hex digits)", path, text));
  return value;
}

void read_root(const h5::File& file, Timeline& t) {
  namespace a = attributes;
  const auto schema = integer(file, a::schema_version);
  if (schema != kSchemaVersion)
    throw InputError(fmt::format("{}: schema_version {} (accepted: {}; a newer hybridscope wrote it?)",
                                 t.path, schema, kSchemaVersion));
  auto& f = t.facts;
  f.producer = text(file, a::producer);
  f.start_time_utc = text(file, a::start_time_utc);
  f.command_line = text(file, a::command_line);
  f.mpi_library = text(file, a::mpi_library);
  f.hdf5_library = text(file, a::hdf5_library);
  f.layout = {int(integer(file, a::ranks)), int(integer(file, a::threads_per_rank))};
  f.nodes = int(integer(file, a::nodes));
  f.strategy = text(file, a::strategy);
  f.handout = text(file, a::handout);
  f.workload = text(file, a::workload);
  f.workload_description = text(file, a::workload_description);
  f.items_planned = std::uint64_t(integer(file, a::items_planned));
  auto& s = t.summary;
  s.complete = integer(file, a::complete) != 0;
  s.stop_reason = text(file, a::stop_reason);
  s.items_done = std::uint64_t(integer(file, a::items_done));
  s.checksum = parse_checksum(text(file, a::checksum), t.path);
  s.wall_seconds = file.double_attribute(std::string(a::wall_seconds.name));
}

std::vector<ThreadRow> read_threads(const h5::File& file) {
  const auto rank = column<std::int32_t>(file, threads::rank);
  const auto thread = column<std::int32_t>(file, threads::thread);
  const auto tid = column<std::int64_t>(file, threads::os_thread_id);
  const auto allowed = strings(file, threads::allowed_cpus);
  const auto place = strings(file, threads::openmp_place);
  const auto items = column<std::uint64_t>(file, threads::items);
  const auto recorded = column<std::uint64_t>(file, threads::intervals);
  const auto dropped = column<std::uint64_t>(file, threads::dropped_intervals);
  std::vector<ThreadRow> rows(rank.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].times.rank = rank[i];
    rows[i].times.thread = thread.at(i);
    rows[i].times.items = items.at(i);
    rows[i].os_thread_id = tid.at(i);
    rows[i].allowed_cpus = allowed.at(i);
    rows[i].openmp_place = place.at(i);
    rows[i].intervals = recorded.at(i);
    rows[i].dropped_intervals = dropped.at(i);
  }
  for (std::size_t k = 0; k < trace::kActivityCount; ++k) {
    const auto ns = column<std::int64_t>(file, threads::kind_ns[k]);
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i].times.ns[k] = ns.at(i);
  }
  return rows;
}

std::vector<RankRow> read_ranks(const h5::File& file) {
  const auto rank = column<std::int32_t>(file, ranks::rank);
  const auto host = strings(file, ranks::host);
  const auto trip = column<std::int64_t>(file, ranks::clock_round_trip_start_ns);
  std::vector<RankRow> rows(rank.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].rank = rank[i];
    rows[i].host = host.at(i);
    rows[i].clock_round_trip_start_ns = trip.at(i);
  }
  return rows;
}

std::vector<HostRow> read_hosts(const h5::File& file) {
  const auto host = strings(file, hosts::host);
  const auto ranks = column<std::int32_t>(file, hosts::ranks);
  const auto cores = column<std::int32_t>(file, hosts::cores);
  const auto pus = column<std::int32_t>(file, hosts::pus);
  std::vector<HostRow> rows(host.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].host = host[i];
    rows[i].ranks = ranks.at(i);
    rows[i].cores = cores.at(i);
    rows[i].pus = pus.at(i);
  }
  return rows;
}

Intervals read_intervals(const h5::File& file, Load what, const std::string& path) {
  Intervals c;
  c.rank = column<std::uint32_t>(file, intervals::rank);
  c.thread = column<std::uint16_t>(file, intervals::thread);
  c.kind = column<std::uint8_t>(file, intervals::kind);
  c.cpu = column<std::int16_t>(file, intervals::cpu);
  c.begin_ns = column<std::int64_t>(file, intervals::begin_ns);
  c.end_ns = column<std::int64_t>(file, intervals::end_ns);
  if (what == Load::intervals_with_items) {
    c.chunk = column<std::int64_t>(file, intervals::chunk);
    c.item = column<std::int64_t>(file, intervals::item);
  }
  const auto n = c.rank.size();
  if (c.thread.size() != n || c.kind.size() != n || c.cpu.size() != n || c.begin_ns.size() != n ||
      c.end_ns.size() != n)
    throw InputError(fmt::format("{}: the /intervals columns differ in length (accepted: a "
                                 "timeline written by hybridscope run)", path));
  for (const auto k : c.kind)
    if (k >= trace::kActivityCount)
      throw InputError(fmt::format("{}: interval kind code {} (accepted: 0-{})", path, k, trace::kActivityCount - 1));
  return c;
}

}  // namespace

std::vector<Lane> lanes(const Intervals& c) {
  std::vector<Lane> out;
  for (std::size_t i = 0; i < c.size();) {
    std::size_t j = i;
    while (j < c.size() && c.rank[j] == c.rank[i] && c.thread[j] == c.thread[i]) ++j;
    out.push_back({int(c.rank[i]), int(c.thread[i]), i, j});
    i = j;
  }
  return out;
}

std::vector<metrics::ThreadTimes> Timeline::thread_times() const {
  std::vector<metrics::ThreadTimes> out;
  out.reserve(threads.size());
  for (const auto& t : threads) out.push_back(t.times);
  return out;
}

std::vector<std::string> Timeline::rank_hosts() const {
  std::vector<std::string> out(static_cast<std::size_t>(std::max(0, facts.layout.ranks)));
  for (const auto& r : ranks)
    if (r.rank >= 0 && std::size_t(r.rank) < out.size()) out[std::size_t(r.rank)] = r.host;
  return out;
}

Timeline load(const std::string& path, Load what) {
  if (!std::filesystem::is_regular_file(path))
    throw InputError(fmt::format("{}: no such timeline file (accepted: an .h5 file written by "
                                 "hybridscope run)", path));
  try {
    h5::File file(path);
    Timeline t;
    t.path = path;
    read_root(file, t);
    t.threads = read_threads(file);
    t.ranks = read_ranks(file);
    t.hosts = read_hosts(file);
    if (what != Load::summary) t.intervals = read_intervals(file, what, path);
    return t;
  } catch (const h5::H5Error& e) {
    throw InputError(fmt::format("{}: not a readable hybridscope timeline: {}", path, e.what()));
  }
}

}  // namespace hybridscope::timeline
