#include "hybridscope/timeline/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
#include <new>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "hybridscope/core/error.hpp"
#include "hybridscope/h5/h5.hpp"
#include "hybridscope/timeline/format.hpp"

namespace hybridscope::timeline {

// Reading never trusts the file. h5::File bounds every extent, string width and attribute by what
// the file can hold, so a damaged size is an error and not an allocation; this reader then checks
// the file against itself with what the writer always makes true (docs/timeline-format.md), so a
// damaged value that HDF5's checksums did not see is an error and not a wrong number:
//  - root attributes: schema_version, the layout (ranks, threads_per_rank >= 1, nodes 1..ranks,
//    ranks x threads_per_rank an int), items_done within 0..items_planned, complete 0 or 1 and
//    agreeing with items_done and stop_reason, wall_seconds finite and >= 0, checksum 16 hex digits,
//    text valid UTF-8;
//  - every table: each column as many rows as the layout says (/ranks: ranks, /threads:
//    ranks x threads_per_rank, /hosts: nodes, /intervals: the sum of /threads/intervals), rows in
//    rank (and thread) order, counters that add up (items to items_done, per rank to /ranks, the
//    checksum parts to the checksum), times >= 0, each rank's begin <= end, the first begin 0 and
//    the last end wall_seconds, each thread's times per kind adding up to its rank's run time;
//  - /intervals, when loaded: kinds of the enum, each thread's rows where /threads says, in time
//    order inside its rank's run, gap-free and adding up per kind to /threads when none was dropped.
// Columns that only serve these checks (/ranks items, checksum, intervals, dropped_intervals) are
// checked when present: timelines written for tests with h5py do not all have them.

namespace {

// The file contradicts itself: load() names it.
class Damaged : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void damaged(fmt::format_string<Args...> format, Args&&... args) {
  throw Damaged(fmt::format(format, std::forward<Args>(args)...));
}

// At most 40 bytes of a value from the file, without control characters (messages are one line).
std::string shown(std::string_view value) {
  std::string out(value.substr(0, 40));
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return value.size() > 40 ? out + "..." : out;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t code = 0, least = 0;
    if (c < 0x80) n = 0, code = c;
    else if ((c & 0xe0) == 0xc0) n = 1, code = c & 0x1f, least = 0x80;
    else if ((c & 0xf0) == 0xe0) n = 2, code = c & 0x0f, least = 0x800;
    else if ((c & 0xf8) == 0xf0) n = 3, code = c & 0x07, least = 0x10000;
    else return false;
    if (i + n >= s.size() && n > 0) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      code = (code << 6) | (d & 0x3f);
    }
    if (code < least || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

std::string utf8(std::string value, std::string_view what) {
  if (!valid_utf8(value)) damaged("{} '{}' is not UTF-8", what, shown(value));
  return value;
}

// "N" or "N-M" with N <= M, joined by single commas, CPUs below 2^16 (Linux has at most 8192); or
// empty. What hwloc prints, and stricter than topo::parse_cpu_list, which `report` gives it to.
bool cpu_list(std::string_view text) {
  if (text.empty()) return true;
  constexpr long kMostCpus = 1L << 16;
  std::size_t at = 0;
  const auto number = [&](long& value) {
    const std::size_t start = at;
    value = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9' && at - start < 6) value = value * 10 + (text[at++] - '0');
    return at > start && value < kMostCpus;
  };
  for (;;) {
    long lo = 0, hi = 0;
    if (!number(lo)) return false;
    if (at < text.size() && text[at] == '-') {
      ++at;
      if (!number(hi) || hi < lo) return false;
    }
    if (at == text.size()) return true;
    if (text[at++] != ',') return false;
  }
}

std::string any_text(const h5::File& f, const Field& field) { return f.string_attribute(std::string(field.name)); }
std::string text(const h5::File& f, const Field& field) { return utf8(any_text(f, field), field.name); }
std::int64_t integer(const h5::File& f, const Field& field) { return f.integer_attribute(std::string(field.name)); }

// A column of `rows` rows (what its table's rows must be, `why`), checked before it is read.
void expect_rows(const h5::File& f, const std::string& path, std::uint64_t rows, const std::string& why) {
  const auto n = f.rows(path);
  if (n != rows) damaged("/{} has {} rows, {} expected ({})", path, n, rows, why);
}

template <typename T>
std::vector<T> column(const h5::File& f, const Field& field, std::uint64_t rows, const std::string& why) {
  expect_rows(f, field.path(), rows, why);
  return f.read_column<T>(field.path());
}

template <typename T>
std::optional<std::vector<T>> optional_column(const h5::File& f, const Field& field, std::uint64_t rows,
                                              const std::string& why) {
  if (!f.exists(field.path())) return std::nullopt;
  return column<T>(f, field, rows, why);
}

std::vector<std::string> strings(const h5::File& f, const Field& field, std::uint64_t rows, const std::string& why) {
  expect_rows(f, field.path(), rows, why);
  auto values = f.read_strings(field.path());
  for (const auto& v : values) utf8(v, "/" + field.path());
  return values;
}

// a + b, or the file is damaged (counters that add up to more than 2^64).
std::uint64_t add(std::uint64_t a, std::uint64_t b, std::string_view what) {
  std::uint64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) damaged("{} add up to more than 2^64", what);
  return out;
}

std::uint64_t parse_checksum(const std::string& text) {
  std::uint64_t value = 0;
  if (text.size() != 16) damaged("checksum '{}' (accepted: 16 hex digits)", shown(text));
  for (const char c : text) {
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (digit < 0) damaged("checksum '{}' (accepted: 16 hex digits)", shown(text));
    value = value << 4 | std::uint64_t(digit);
  }
  return value;
}

// wall_seconds * 1e9 must fit an int64 of nanoseconds with room to spare: about 31 years.
constexpr double kMostWallSeconds = 1e9;
// ranks x threads_per_rank is an int (Layout::workers()).
constexpr std::int64_t kMostWorkers = std::numeric_limits<int>::max();
constexpr std::int64_t kMostItems = std::int64_t{1} << 62;

// Schema 3: task farms and resumed runs.
void read_farm_attributes(const h5::File& file, Timeline& t) {
  namespace a = attributes;
  auto& f = t.facts;
  auto& s = t.summary;
  const auto failed = integer(file, a::items_failed), carried = integer(file, a::items_carried);
  if (failed < 0 || std::uint64_t(failed) > s.items_done)
    damaged("items_failed = {} of items_done = {} (accepted: 0 to items_done)", failed, s.items_done);
  if (carried < 0 || std::uint64_t(carried) > kMostItems)
    damaged("items_carried = {} (accepted: 0 to {})", carried, kMostItems);
  s.items_failed = std::uint64_t(failed);
  s.checksum_succeeded = parse_checksum(any_text(file, a::checksum_succeeded));
  f.items_carried = std::uint64_t(carried);
  f.checksum_carried = parse_checksum(any_text(file, a::checksum_carried));
  f.resumed_from = any_text(file, a::resumed_from);  // a path: any bytes
  f.task_output = any_text(file, a::task_output);
  f.tasks_digest = text(file, a::tasks_digest);
}

void read_root(const h5::File& file, Timeline& t) {
  namespace a = attributes;
  const auto schema = integer(file, a::schema_version);
  if (schema < kOldestReadableSchema || schema > kSchemaVersion)
    throw InputError(fmt::format("{}: schema_version {} (accepted: {} to {}; a newer hybridscope wrote it?)",
                                 t.path, schema, kOldestReadableSchema, kSchemaVersion));
  auto& f = t.facts;
  f.producer = text(file, a::producer);
  f.start_time_utc = text(file, a::start_time_utc);
  f.command_line = any_text(file, a::command_line);  // argv, shown nowhere: any bytes
  f.mpi_library = text(file, a::mpi_library);
  f.hdf5_library = text(file, a::hdf5_library);
  const auto ranks = integer(file, a::ranks), threads = integer(file, a::threads_per_rank);
  const auto nodes = integer(file, a::nodes);
  if (ranks < 1 || threads < 1 || ranks > kMostWorkers / threads)
    damaged("layout ranks = {} x threads_per_rank = {} (accepted: both >= 1, at most {} workers)", ranks, threads,
            kMostWorkers);
  if (nodes < 1 || nodes > ranks) damaged("nodes = {} for {} ranks (accepted: 1 to ranks)", nodes, ranks);
  f.layout = {int(ranks), int(threads)};
  f.nodes = int(nodes);
  f.strategy = text(file, a::strategy);
  f.handout = text(file, a::handout);
  f.workload = text(file, a::workload);
  f.workload_description = text(file, a::workload_description);
  const auto planned = integer(file, a::items_planned), done = integer(file, a::items_done);
  if (planned < 0 || done < 0 || done > planned)
    damaged("items_done = {} of items_planned = {} (accepted: 0 <= items_done <= items_planned)", done, planned);
  f.items_planned = std::uint64_t(planned);
  auto& s = t.summary;
  const auto complete = integer(file, a::complete);
  s.stop_reason = text(file, a::stop_reason);
  if (complete != 0 && complete != 1) damaged("complete = {} (accepted: 0 or 1)", complete);
  if (complete == 1 && (done != planned || !s.stop_reason.empty()))
    damaged("complete = 1 with {} of {} items done and stop_reason '{}'", done, planned, shown(s.stop_reason));
  if (complete == 0 && s.stop_reason.empty()) damaged("complete = 0 without a stop_reason");
  s.complete = complete == 1;
  s.items_done = std::uint64_t(done);
  s.checksum = parse_checksum(any_text(file, a::checksum));
  s.wall_seconds = file.double_attribute(std::string(a::wall_seconds.name));
  if (!std::isfinite(s.wall_seconds) || s.wall_seconds < 0 || s.wall_seconds > kMostWallSeconds)
    damaged("wall_seconds = {} (accepted: finite, 0 to {:g})", s.wall_seconds, kMostWallSeconds);
  s.checksum_succeeded = s.checksum;  // schema 2: every item done succeeded
  t.schema_version = schema;
  if (schema >= 3) read_farm_attributes(file, t);
}

// The columns of /ranks that only serve as checks, when the file has them.
struct RankCounters {
  std::optional<std::vector<std::uint64_t>> items, checksum, intervals, dropped;
};

RankCounters read_ranks(const h5::File& file, Timeline& t) {
  const auto n = std::uint64_t(t.facts.layout.ranks);
  const auto why = fmt::format("ranks = {}", n);
  const auto rank = column<std::int32_t>(file, ranks::rank, n, why);
  const auto host = strings(file, ranks::host, n, why);
  const auto begin = column<std::int64_t>(file, ranks::begin_ns, n, why);
  const auto end = column<std::int64_t>(file, ranks::end_ns, n, why);
  const auto offset_start = column<std::int64_t>(file, ranks::clock_offset_start_ns, n, why);
  const auto offset_end = column<std::int64_t>(file, ranks::clock_offset_end_ns, n, why);
  const auto trip = column<std::int64_t>(file, ranks::clock_round_trip_start_ns, n, why);
  const auto rss = optional_column<std::int64_t>(file, ranks::max_rss_kib, n, why);  // schema 3
  const auto trip_end = optional_column<std::int64_t>(file, ranks::clock_round_trip_end_ns, n, why);
  RankCounters counters{optional_column<std::uint64_t>(file, ranks::items, n, why),
                        optional_column<std::uint64_t>(file, ranks::checksum, n, why),
                        optional_column<std::uint64_t>(file, ranks::intervals, n, why),
                        optional_column<std::uint64_t>(file, ranks::dropped_intervals, n, why)};
  std::vector<RankRow> rows(n);
  std::int64_t first_begin = std::numeric_limits<std::int64_t>::max(), last_end = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& r = rows[i];
    r.rank = rank[i];
    if (r.rank != int(i)) damaged("/ranks row {} is rank {} (accepted: rows in rank order)", i, r.rank);
    r.host = host[i];
    r.begin_ns = begin[i];
    r.end_ns = end[i];
    if (r.begin_ns < 0 || r.end_ns < r.begin_ns)
      damaged("rank {} runs from {} to {} ns (accepted: 0 <= begin_ns <= end_ns)", i, r.begin_ns, r.end_ns);
    first_begin = std::min(first_begin, r.begin_ns);
    last_end = std::max(last_end, r.end_ns);
    r.clock_offset_start_ns = offset_start[i];
    r.clock_offset_end_ns = offset_end[i];
    r.clock_round_trip_start_ns = trip[i];
    if (r.clock_round_trip_start_ns < 0)
      damaged("rank {}: clock_round_trip_start_ns = {} (accepted: >= 0)", i, r.clock_round_trip_start_ns);
    if (rss) r.max_rss_kib = (*rss)[i];
    if (trip_end) r.clock_round_trip_end_ns = std::max<std::int64_t>(0, (*trip_end)[i]);
    if (counters.items) r.items = (*counters.items)[i];
    if (counters.checksum) r.checksum = (*counters.checksum)[i];
    if (counters.intervals) r.intervals = (*counters.intervals)[i];
    if (counters.dropped) r.dropped_intervals = (*counters.dropped)[i];
  }
  // Time zero is the first begin of any rank, and wall_seconds lasts until the last end.
  if (first_begin != 0) damaged("the first rank begins at {} ns (accepted: 0, the run's time zero)", first_begin);
  const double wall_ns = t.summary.wall_seconds * 1e9;
  if (std::abs(wall_ns - double(last_end)) > 1 + 1e-9 * double(last_end))
    damaged("wall_seconds = {} but the last rank ends at {} ns (accepted: the same)", t.summary.wall_seconds,
            last_end);
  if (counters.checksum) {
    std::uint64_t sum = 0;  // the run's checksum is the wrapping sum of the ranks' parts
    for (const auto part : *counters.checksum) sum += part;
    if (sum != t.summary.checksum)
      damaged("checksum {:016x} but /ranks/checksum adds up to {:016x}", t.summary.checksum, sum);
  }
  t.ranks = std::move(rows);
  return counters;
}

std::vector<ThreadRow> read_threads(const h5::File& file, const Timeline& t) {
  const auto per_rank = std::uint64_t(t.facts.layout.threads);
  const auto n = std::uint64_t(t.facts.layout.ranks) * per_rank;
  const auto why = fmt::format("ranks x threads_per_rank = {} x {}", t.facts.layout.ranks, per_rank);
  const auto rank = column<std::int32_t>(file, threads::rank, n, why);
  const auto thread = column<std::int32_t>(file, threads::thread, n, why);
  const auto tid = column<std::int64_t>(file, threads::os_thread_id, n, why);
  const auto allowed = strings(file, threads::allowed_cpus, n, why);
  const auto place = strings(file, threads::openmp_place, n, why);
  const auto items = column<std::uint64_t>(file, threads::items, n, why);
  const auto recorded = column<std::uint64_t>(file, threads::intervals, n, why);
  const auto dropped = column<std::uint64_t>(file, threads::dropped_intervals, n, why);
  const auto item_cpu = column<std::int64_t>(file, threads::item_cpu_ns, n, why);
  const auto measured = column<std::int64_t>(file, threads::measured_item_ns, n, why);
  std::vector<ThreadRow> rows(n);
  std::uint64_t items_done = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].times.rank = rank[i];
    rows[i].times.thread = thread[i];
    if (std::uint64_t(rank[i]) != i / per_rank || std::uint64_t(thread[i]) != i % per_rank || rank[i] < 0 ||
        thread[i] < 0)
      damaged("/threads row {} is rank {} thread {} (accepted: rows in rank, then thread order)", i, rank[i],
              thread[i]);
    rows[i].times.items = items[i];
    items_done = add(items_done, items[i], "/threads/items");
    rows[i].os_thread_id = tid[i];
    if (!cpu_list(allowed[i]))
      damaged("rank {} thread {}: allowed_cpus '{}' (accepted: a CPU list such as 0-3,8)", rank[i], thread[i],
              shown(allowed[i]));
    rows[i].allowed_cpus = allowed[i];
    rows[i].openmp_place = place[i];
    rows[i].intervals = recorded[i];
    rows[i].dropped_intervals = dropped[i];
    rows[i].times.item_cpu_ns = item_cpu[i];
    rows[i].times.measured_item_ns = measured[i];
    if (item_cpu[i] < 0 || measured[i] < 0)
      damaged("rank {} thread {}: item_cpu_ns = {}, measured_item_ns = {} (accepted: >= 0)", rank[i], thread[i],
              item_cpu[i], measured[i]);
  }
  if (items_done != t.summary.items_done)
    damaged("items_done = {} but /threads/items adds up to {}", t.summary.items_done, items_done);
  for (std::size_t k = 0; k < trace::kActivityCount; ++k) {
    const auto ns = column<std::int64_t>(file, threads::kind_ns[k], n, why);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (ns[i] < 0)
        damaged("rank {} thread {}: {} = {} (accepted: >= 0)", rank[i], thread[i], threads::kind_ns[k].name, ns[i]);
      rows[i].times.ns[k] = ns[i];
    }
  }
  return rows;
}

std::vector<HostRow> read_hosts(const h5::File& file, const Timeline& t) {
  const auto n = std::uint64_t(t.facts.nodes);
  const auto why = fmt::format("nodes = {}", n);
  const auto host = strings(file, hosts::host, n, why);
  const auto ranks = column<std::int32_t>(file, hosts::ranks, n, why);
  const auto cores = column<std::int32_t>(file, hosts::cores, n, why);
  const auto pus = column<std::int32_t>(file, hosts::pus, n, why);
  std::vector<HostRow> rows(n);
  std::int64_t placed = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].host = host[i];
    rows[i].ranks = ranks[i];
    rows[i].cores = cores[i];
    rows[i].pus = pus[i];
    if (ranks[i] < 0 || cores[i] < 0 || pus[i] < 0)
      damaged("host '{}': ranks = {}, cores = {}, pus = {} (accepted: >= 0)", shown(host[i]), ranks[i], cores[i],
              pus[i]);
    placed += ranks[i];
  }
  if (placed != t.facts.layout.ranks)
    damaged("/hosts/ranks adds up to {} ranks, the layout has {}", placed, t.facts.layout.ranks);
  return rows;
}

// What /ranks and /threads say of each other; the rows of /intervals they give.
std::uint64_t check_counters(const Timeline& t, const RankCounters& counters) {
  const auto per_rank = std::size_t(t.facts.layout.threads);
  std::uint64_t rows = 0;
  for (std::size_t r = 0; r < t.ranks.size(); ++r) {
    std::uint64_t items = 0, intervals = 0, dropped = 0;
    for (std::size_t i = r * per_rank; i < (r + 1) * per_rank; ++i) {
      const auto& row = t.threads[i];
      items += row.times.items;  // /threads/items added up without overflow before
      intervals = add(intervals, row.intervals, "/threads/intervals");
      dropped = add(dropped, row.dropped_intervals, "/threads/dropped_intervals");
    }
    rows = add(rows, intervals, "/threads/intervals");
    if (counters.items && items != (*counters.items)[r])
      damaged("rank {}: /ranks/items = {} but its threads' add up to {}", r, (*counters.items)[r], items);
    if (counters.intervals && intervals != (*counters.intervals)[r])
      damaged("rank {}: /ranks/intervals = {} but its threads' add up to {}", r, (*counters.intervals)[r], intervals);
    if (counters.dropped && dropped != (*counters.dropped)[r])
      damaged("rank {}: /ranks/dropped_intervals = {} but its threads' add up to {}", r, (*counters.dropped)[r],
              dropped);
  }
  return rows;
}

// How far a rank's run time on the common time base may be from the same time on its own clock:
// the clock correction changes by (offset at end - offset at start) over a span longer than the
// run, plus rounding.
long double clock_slack(const RankRow& r) {
  return std::abs((long double)r.clock_offset_end_ns - (long double)r.clock_offset_start_ns);
}

// Every thread's time per kind adds up to its rank's run (ThreadLog starts at the rank's begin and
// its last interval ends at the rank's end), up to the clock correction.
void check_thread_times(const Timeline& t) {
  for (const auto& row : t.threads) {
    const auto& r = t.ranks[std::size_t(row.times.rank)];
    long double total = 0;
    for (const auto ns : row.times.ns) total += ns;
    const long double run = (long double)r.end_ns - (long double)r.begin_ns;
    if (std::abs(total - run) > clock_slack(r) + 2)
      damaged("rank {} thread {}: its times per kind add up to {:.0f} ns, its rank ran {} ns (accepted: the same, "
              "up to the clock correction of {:.0f} ns)", row.times.rank, row.times.thread, double(total),
              r.end_ns - r.begin_ns, double(clock_slack(r)));
  }
}

// Every column of /intervals has the rows /threads/intervals adds up to (read from the extents).
void check_interval_rows(const h5::File& file, std::uint64_t rows) {
  const Field* columns[] = {&intervals::rank,  &intervals::thread, &intervals::kind,
                            &intervals::cpu,   &intervals::chunk,  &intervals::item,
                            &intervals::cpu_ns, &intervals::begin_ns, &intervals::end_ns};
  for (const auto* field : columns) expect_rows(file, field->path(), rows, "the sum of /threads/intervals");
}

Intervals read_intervals(const h5::File& file, Load what, std::uint64_t n) {
  const auto names = file.enum_names(intervals::kind.path());
  if (names.size() != trace::kActivityCount ||
      !std::equal(names.begin(), names.end(), std::begin(trace::kActivityNames)))
    damaged("/{} names {} kinds (accepted: the {} of docs/timeline-format.md, in their order)",
            intervals::kind.path(), names.size(), trace::kActivityCount);
  const std::string why = "the sum of /threads/intervals";
  Intervals c;
  c.rank = column<std::uint32_t>(file, intervals::rank, n, why);
  c.thread = column<std::uint16_t>(file, intervals::thread, n, why);
  c.kind = column<std::uint8_t>(file, intervals::kind, n, why);
  c.cpu = column<std::int16_t>(file, intervals::cpu, n, why);
  c.begin_ns = column<std::int64_t>(file, intervals::begin_ns, n, why);
  c.end_ns = column<std::int64_t>(file, intervals::end_ns, n, why);
  if (what == Load::intervals_with_items) {
    c.chunk = column<std::int64_t>(file, intervals::chunk, n, why);
    c.item = column<std::int64_t>(file, intervals::item, n, why);
    c.cpu_ns = column<std::int64_t>(file, intervals::cpu_ns, n, why);
  }
  return c;
}

// Each thread's rows are where /threads says (its count, in rank and thread order), of known kinds,
// in time order inside its rank's run; with none dropped, gap-free from the rank's begin to its end
// and adding up per kind to /threads (up to the clock correction: /threads counts on the rank's own
// clock), with as many finished items as /threads/items and the CPU time of /threads/item_cpu_ns.
void check_intervals(const Timeline& t) {
  const auto& c = t.intervals;
  const bool items = !c.item.empty();
  std::size_t row = 0;
  for (const auto& thread : t.threads) {
    const int rank = thread.times.rank, number = thread.times.thread;
    const auto& r = t.ranks[std::size_t(rank)];
    const std::size_t first = row, last = row + thread.intervals;  // their sum is c.size()
    const bool complete = thread.dropped_intervals == 0;
    std::array<long double, trace::kActivityCount> ns{};
    std::array<std::uint64_t, trace::kActivityCount> count{};
    std::uint64_t finished = 0;
    long double cpu = 0;
    for (row = first; row < last; ++row) {
      if (c.rank[row] != std::uint32_t(rank) || c.thread[row] != std::uint32_t(number))
        damaged("/intervals row {} is rank {} thread {} where /threads/intervals puts rank {} thread {}", row,
                c.rank[row], c.thread[row], rank, number);
      const auto kind = c.kind[row];
      if (kind >= trace::kActivityCount)
        damaged("/intervals row {}: kind code {} (accepted: 0-{})", row, kind, trace::kActivityCount - 1);
      const auto begin = c.begin_ns[row], end = c.end_ns[row];
      if (begin > end || begin < r.begin_ns || end > r.end_ns)
        damaged("/intervals row {} (rank {} thread {}) runs from {} to {} ns (accepted: begin <= end, inside its "
                "rank's run {}-{} ns)", row, rank, number, begin, end, r.begin_ns, r.end_ns);
      if (c.cpu[row] < -1) damaged("/intervals row {}: cpu {} (accepted: -1 or a CPU number)", row, c.cpu[row]);
      const std::int64_t previous_end = row == first ? r.begin_ns : c.end_ns[row - 1];
      if (complete ? begin != previous_end : row > first && begin < previous_end)
        damaged("/intervals row {} (rank {} thread {}) begins at {} ns after one that ends at {} ns (accepted: {})",
                row, rank, number, begin, previous_end,
                complete ? "gap-free from the rank's begin, as no interval was dropped" : "in time order");
      ns[kind] += (long double)(end - begin);
      ++count[kind];
      if (items) {
        const auto item = c.item[row];
        if (item < -1 || item >= std::int64_t(t.facts.items_planned) || c.chunk[row] < -1 || c.cpu_ns[row] < -1)
          damaged("/intervals row {}: item {}, chunk {}, cpu_ns {} (accepted: -1 or an item below items_planned "
                  "= {}, -1 or a chunk, -1 or a CPU time)", row, item, c.chunk[row], c.cpu_ns[row],
                  t.facts.items_planned);
        const bool item_ends = row + 1 == last || c.item[row + 1] != item;
        if (item_ends && item >= 0 && trace::in_item(trace::Activity(kind))) ++finished;
        if (c.cpu_ns[row] > 0) cpu += c.cpu_ns[row];
      }
    }
    if (complete && thread.intervals > 0 && c.end_ns[last - 1] != r.end_ns)
      damaged("rank {} thread {}: the last interval ends at {} ns, its rank at {} ns (accepted: the same, as no "
              "interval was dropped)", rank, number, c.end_ns[last - 1], r.end_ns);
    if (!complete) continue;
    long double total = 0;
    for (const auto k : thread.times.ns) total += k;
    for (std::size_t k = 0; k < trace::kActivityCount; ++k) {
      const long double expected = thread.times.ns[k];
      // Each row's correction rounds to within 1 ns; the drift scales the kind's share of the run.
      const long double slack = (total > 0 ? clock_slack(r) * expected / total : 0) + (long double)count[k] + 1;
      if (std::abs(ns[k] - expected) > slack)
        damaged("rank {} thread {}: its {} intervals last {:.0f} ns, /threads/{} = {} (accepted: the same, up to "
                "{:.0f} ns of clock correction, as no interval was dropped)", rank, number,
                trace::kActivityNames[k], double(ns[k]), threads::kind_ns[k].name, thread.times.ns[k],
                double(slack));
    }
    if (items && finished != thread.times.items)
      damaged("rank {} thread {}: {} items finished in /intervals, /threads/items = {}", rank, number, finished,
              thread.times.items);
    if (items && cpu != (long double)thread.times.item_cpu_ns)
      damaged("rank {} thread {}: the intervals' cpu_ns add up to {:.0f} ns, /threads/item_cpu_ns = {}", rank,
              number, double(cpu), thread.times.item_cpu_ns);
  }
}

// /succeeded or /carried: ranges of items inside [0, end) adding up to `count` items.
std::vector<ItemRange> read_ranges(const h5::File& file, const Field& first, const Field& count,
                                   std::uint64_t items, std::uint64_t end) {
  const auto n = file.rows(first.path());
  const auto why = fmt::format("/{} has {} rows", first.path(), n);
  const auto firsts = column<std::uint64_t>(file, first, n, why);
  const auto counts = column<std::uint64_t>(file, count, n, why);
  std::vector<ItemRange> out;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (counts[i] == 0 || firsts[i] > end || counts[i] > end - firsts[i])
      damaged("/{} row {}: items {} + {} (accepted: a non-empty range inside the {} items of the farm)",
              first.table, i, firsts[i], counts[i], end);
    out.push_back({firsts[i], firsts[i] + counts[i]});
    total = add(total, counts[i], first.table);
  }
  if (total != items) damaged("/{} holds {} items, {} expected", first.table, total, items);
  return out;
}

std::vector<trace::TaskAttempt> read_tasks(const h5::File& file, const Timeline& t, std::uint64_t end) {
  const auto n = file.rows(tasks::item.path());
  const auto why = fmt::format("/tasks/item has {} rows", n);
  const auto item = column<std::int64_t>(file, tasks::item, n, why);
  const auto rank = column<std::int32_t>(file, tasks::rank, n, why);
  const auto thread = column<std::int32_t>(file, tasks::thread, n, why);
  const auto attempt = column<std::int32_t>(file, tasks::attempt, n, why);
  const auto pid = column<std::int64_t>(file, tasks::pid, n, why);
  const auto exit_code = column<std::int32_t>(file, tasks::exit_code, n, why);
  const auto signal = column<std::int32_t>(file, tasks::signal, n, why);
  const auto begin = column<std::int64_t>(file, tasks::begin_ns, n, why);
  const auto finish = column<std::int64_t>(file, tasks::end_ns, n, why);
  const auto user = column<std::int64_t>(file, tasks::user_ns, n, why);
  const auto system = column<std::int64_t>(file, tasks::system_ns, n, why);
  const auto rss = column<std::int64_t>(file, tasks::max_rss_kib, n, why);
  const auto abandoned = column<std::uint8_t>(file, tasks::abandoned, n, why);
  std::vector<trace::TaskAttempt> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (item[i] < 0 || std::uint64_t(item[i]) >= end || rank[i] < 0 || rank[i] >= t.facts.layout.ranks ||
        thread[i] < 0 || thread[i] >= t.facts.layout.threads || attempt[i] < 0 || finish[i] < begin[i] ||
        (exit_code[i] < 0) != (signal[i] > 0) || abandoned[i] > 1)
      damaged("/tasks row {}: item {} rank {} thread {} attempt {} from {} to {} ns, exit code {} signal {}", i,
              item[i], rank[i], thread[i], attempt[i], begin[i], finish[i], exit_code[i], signal[i]);
    out[i] = {std::uint64_t(item[i]), rank[i], thread[i], attempt[i], pid[i], exit_code[i], signal[i],
              begin[i],  finish[i], user[i], system[i], rss[i], abandoned[i] == 1};
  }
  return out;
}

// The input as given and resolved: one row.
void read_input(const h5::File& file, Timeline& t) {
  const std::string why = "one input";
  auto& in = t.facts.input;
  in.origin = strings(file, input::origin, 1, why).front();
  in.given = strings(file, input::given, 1, why).front();
  in.resolved = strings(file, input::resolved, 1, why).front();
}

// Schema 3: which items succeeded, which a resumed run carried over, and a farm's attempts.
void read_farm_tables(const h5::File& file, Timeline& t) {
  auto& f = t.facts;
  const std::uint64_t end = add(f.items_carried, f.items_planned, "items_carried and items_planned");
  t.succeeded = read_ranges(file, succeeded::first, succeeded::count,
                            t.summary.items_done - t.summary.items_failed, end);
  f.carried = read_ranges(file, carried::first, carried::count, f.items_carried, end);
  t.tasks = read_tasks(file, t, end);
}

Timeline read_checked(const std::string& path, Load what) {
  h5::File file(path);
  Timeline t;
  t.path = path;
  read_root(file, t);
  // Every run writes /input; timelines made by other tools may leave it out (--resume then refuses).
  if (file.exists(input::resolved.path())) read_input(file, t);
  const auto counters = read_ranks(file, t);
  t.threads = read_threads(file, t);
  t.hosts = read_hosts(file, t);
  const auto rows = check_counters(t, counters);
  check_thread_times(t);
  check_interval_rows(file, rows);
  if (file.exists(tasks::item.path())) read_farm_tables(file, t);
  else if (t.summary.complete) t.succeeded = {{0, t.summary.items_done}};  // schema 2 knows no more
  if (what != Load::summary) {
    t.intervals = read_intervals(file, what, rows);
    check_intervals(t);
  }
  return t;
}

// Messages quote HDF5 and the file: keep them to one line.
std::string one_line(std::string message) {
  for (auto& c : message)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return message;
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
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw InputError(one_line(fmt::format("{}: no such timeline file (accepted: an .h5 file written by "
                                          "hybridscope run)", path)));
  try {
    return read_checked(path, what);
  } catch (const h5::H5Error& e) {
    throw InputError(one_line(fmt::format("{}: not a readable hybridscope timeline (damaged?): {}", path, e.what())));
  } catch (const Damaged& e) {
    throw InputError(one_line(fmt::format("{}: damaged timeline: {}", path, e.what())));
  } catch (const std::bad_alloc&) {
    throw Error(one_line(fmt::format("{}: not enough memory to load the timeline", path)));
  }
}

}  // namespace hybridscope::timeline
