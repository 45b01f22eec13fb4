#include "hybridscope/timeline/writer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <thread>
#include <cstdlib>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/log.hpp"
#include "hybridscope/h5/parallel.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/timeline/format.hpp"

namespace hybridscope::timeline {

namespace {

// Rows of intervals each rank writes per collective call: bounds the memory of the conversion.
constexpr std::uint64_t kBatchRows = std::uint64_t{1} << 20;

template <typename T>
constexpr Type type_of() {
  if constexpr (std::is_same_v<T, std::int16_t>) return Type::i16;
  else if constexpr (std::is_same_v<T, std::int32_t>) return Type::i32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return Type::i64;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return Type::u8;
  else if constexpr (std::is_same_v<T, std::uint16_t>) return Type::u16;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return Type::u32;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return Type::u64;
  else if constexpr (std::is_same_v<T, double>) return Type::f64;
}

// A column's values, of the type the format says.
template <typename T>
void put(h5::Table& table, const Field& field, const std::vector<T>& values) {
  if (field.type != type_of<T>()) throw Error(fmt::format("timeline writer: '{}' has another type", field.path()));
  table.column(std::string(field.name), values, field.unit);
}

void put(h5::Table& table, const Field& field, const std::vector<std::string>& values) {
  if (field.type != Type::text) throw Error(fmt::format("timeline writer: '{}' is not text", field.path()));
  table.strings(std::string(field.name), values);
}

template <typename T>
h5::Column add(h5::Table& table, const Field& field) {
  if (field.type != type_of<T>()) throw Error(fmt::format("timeline writer: '{}' has another type", field.path()));
  return table.add_column<T>(std::string(field.name), field.unit);
}

template <typename T>
void set(h5::ParallelFile& file, const Field& field, const T& value) {
  file.set_attribute(std::string(field.name), value);
}

void write_root_attributes(h5::ParallelFile& file, const RunFacts& f, const RunSummary& s) {
  namespace a = attributes;
  set(file, a::schema_version, kSchemaVersion);
  set(file, a::producer, std::string_view(f.producer));
  set(file, a::complete, std::int64_t{s.complete});
  set(file, a::stop_reason, std::string_view(s.stop_reason));
  set(file, a::start_time_utc, std::string_view(f.start_time_utc));
  set(file, a::command_line, std::string_view(f.command_line));
  set(file, a::mpi_library, std::string_view(f.mpi_library));
  set(file, a::hdf5_library, std::string_view(f.hdf5_library));
  set(file, a::ranks, std::int64_t{f.layout.ranks});
  set(file, a::threads_per_rank, std::int64_t{f.layout.threads});
  set(file, a::nodes, std::int64_t{f.nodes});
  set(file, a::strategy, std::string_view(f.strategy));
  set(file, a::handout, std::string_view(f.handout));
  set(file, a::workload, std::string_view(f.workload));
  set(file, a::workload_description, std::string_view(f.workload_description));
  set(file, a::items_planned, static_cast<std::int64_t>(f.items_planned));
  set(file, a::items_done, static_cast<std::int64_t>(s.items_done));
  set(file, a::checksum, std::string_view(fmt::format("{:016x}", s.checksum)));
  set(file, a::wall_seconds, s.wall_seconds);
  set(file, a::items_failed, static_cast<std::int64_t>(s.items_failed));
  set(file, a::checksum_succeeded, std::string_view(fmt::format("{:016x}", s.checksum_succeeded)));
  set(file, a::resumed_from, std::string_view(f.resumed_from));
  set(file, a::items_carried, static_cast<std::int64_t>(f.items_carried));
  set(file, a::checksum_carried, std::string_view(fmt::format("{:016x}", f.checksum_carried)));
  set(file, a::task_output, std::string_view(f.task_output));
  set(file, a::tasks_digest, std::string_view(f.tasks_digest));
  set(file, a::time_unit, kTimeUnit);
  set(file, a::time_origin, kTimeOrigin);
}

void write_input(h5::ParallelFile& file, const InputRecord& in) {
  const bool root = mpi::rank(file.comm()) == 0;
  h5::Table table(file, "input", root ? 1 : 0);
  const auto one = [&](const std::string& s) { return root ? std::vector{s} : std::vector<std::string>{}; };
  put(table, input::origin, one(in.origin));
  put(table, input::given, one(in.given));
  put(table, input::resolved, one(in.resolved));
}

void write_ranks(h5::ParallelFile& file, const RankRow& r) {
  h5::Table table(file, "ranks", 1);
  const auto one = [](auto value) { return std::vector{value}; };
  put(table, ranks::rank, one(std::int32_t{r.rank}));
  put(table, ranks::host, one(r.host));
  put(table, ranks::pid, one(r.pid));
  put(table, ranks::local_rank, one(std::int32_t{r.local_rank}));
  put(table, ranks::allowed_cpus, one(r.allowed_cpus));
  put(table, ranks::begin_ns, one(r.begin_ns));
  put(table, ranks::end_ns, one(r.end_ns));
  put(table, ranks::items, one(r.items));
  put(table, ranks::checksum, one(r.checksum));
  put(table, ranks::intervals, one(r.intervals));
  put(table, ranks::dropped_intervals, one(r.dropped_intervals));
  put(table, ranks::max_rss_kib, one(r.max_rss_kib));
  put(table, ranks::clock_offset_start_ns, one(r.clock_offset_start_ns));
  put(table, ranks::clock_offset_end_ns, one(r.clock_offset_end_ns));
  put(table, ranks::clock_round_trip_start_ns, one(r.clock_round_trip_start_ns));
  put(table, ranks::clock_round_trip_end_ns, one(r.clock_round_trip_end_ns));
}

// One vector per column, from a member of each row.
template <typename Row, typename Get>
auto column_of(const std::vector<Row>& rows, Get get) {
  std::vector<std::decay_t<decltype(get(rows.front()))>> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(get(row));
  return out;
}

void write_threads(h5::ParallelFile& file, const std::vector<ThreadRow>& rows) {
  h5::Table table(file, "threads", rows.size());
  put(table, threads::rank, column_of(rows, [](auto& r) { return std::int32_t{r.times.rank}; }));
  put(table, threads::thread, column_of(rows, [](auto& r) { return std::int32_t{r.times.thread}; }));
  put(table, threads::os_thread_id, column_of(rows, [](auto& r) { return r.os_thread_id; }));
  put(table, threads::allowed_cpus, column_of(rows, [](auto& r) { return r.allowed_cpus; }));
  put(table, threads::openmp_place, column_of(rows, [](auto& r) { return r.openmp_place; }));
  put(table, threads::items, column_of(rows, [](auto& r) { return r.times.items; }));
  put(table, threads::intervals, column_of(rows, [](auto& r) { return r.intervals; }));
  put(table, threads::dropped_intervals, column_of(rows, [](auto& r) { return r.dropped_intervals; }));
  put(table, threads::item_cpu_ns, column_of(rows, [](auto& r) { return r.times.item_cpu_ns; }));
  put(table, threads::measured_item_ns, column_of(rows, [](auto& r) { return r.times.measured_item_ns; }));
  for (std::size_t k = 0; k < trace::kActivityCount; ++k)
    put(table, threads::kind_ns[k], column_of(rows, [k](auto& r) { return r.times.ns[k]; }));
}

void write_hosts(h5::ParallelFile& file, const std::optional<HostRow>& host) {
  std::vector<HostRow> rows;
  if (host) rows.push_back(*host);
  h5::Table table(file, "hosts", rows.size());
  put(table, hosts::host, column_of(rows, [](auto& r) { return r.host; }));
  put(table, hosts::ranks, column_of(rows, [](auto& r) { return std::int32_t{r.ranks}; }));
  put(table, hosts::packages, column_of(rows, [](auto& r) { return std::int32_t{r.packages}; }));
  put(table, hosts::cores, column_of(rows, [](auto& r) { return std::int32_t{r.cores}; }));
  put(table, hosts::pus, column_of(rows, [](auto& r) { return std::int32_t{r.pus}; }));
  put(table, hosts::numa_nodes, column_of(rows, [](auto& r) { return std::int32_t{r.numa_nodes}; }));
}

void write_clock(h5::ParallelFile& file, const std::vector<trace::ClockSample>& samples) {
  h5::Table table(file, "clock_samples", samples.size());
  put(table, clock_samples::rank, column_of(samples, [](auto& s) { return s.rank; }));
  put(table, clock_samples::phase, column_of(samples, [](auto& s) { return s.phase; }));
  put(table, clock_samples::local_send_ns, column_of(samples, [](auto& s) { return s.local_send_ns; }));
  put(table, clock_samples::root_ns, column_of(samples, [](auto& s) { return s.root_ns; }));
  put(table, clock_samples::local_recv_ns, column_of(samples, [](auto& s) { return s.local_recv_ns; }));
}

void write_environment(h5::ParallelFile& file, const std::vector<std::pair<std::string, std::string>>& variables) {
  h5::Table table(file, "environment", variables.size());
  put(table, environment::name, column_of(variables, [](auto& v) { return v.first; }));
  put(table, environment::value, column_of(variables, [](auto& v) { return v.second; }));
}

void write_tasks(h5::ParallelFile& file, const trace::Recording& r) {
  const auto& rows = r.tasks;
  h5::Table table(file, "tasks", rows.size());
  put(table, tasks::item, column_of(rows, [](auto& t) { return static_cast<std::int64_t>(t.item); }));
  put(table, tasks::rank, column_of(rows, [](auto& t) { return t.rank; }));
  put(table, tasks::thread, column_of(rows, [](auto& t) { return t.thread; }));
  put(table, tasks::attempt, column_of(rows, [](auto& t) { return t.attempt; }));
  put(table, tasks::pid, column_of(rows, [](auto& t) { return t.pid; }));
  put(table, tasks::exit_code, column_of(rows, [](auto& t) { return t.exit_code; }));
  put(table, tasks::signal, column_of(rows, [](auto& t) { return t.signal; }));
  put(table, tasks::begin_ns, column_of(rows, [&](auto& t) { return r.run_time(t.begin_ns); }));
  put(table, tasks::end_ns, column_of(rows, [&](auto& t) { return r.run_time(t.end_ns); }));
  put(table, tasks::user_ns, column_of(rows, [](auto& t) { return t.user_ns; }));
  put(table, tasks::system_ns, column_of(rows, [](auto& t) { return t.system_ns; }));
  put(table, tasks::max_rss_kib, column_of(rows, [](auto& t) { return t.max_rss_kib; }));
  put(table, tasks::abandoned, column_of(rows, [](auto& t) { return std::uint8_t{t.abandoned}; }));
}

void write_ranges(h5::ParallelFile& file, const Field& first, const Field& count, const std::vector<ItemRange>& rows) {
  h5::Table table(file, std::string(first.table), rows.size());
  put(table, first, column_of(rows, [](auto& r) { return r.begin; }));
  put(table, count, column_of(rows, [](auto& r) { return r.size(); }));
}

std::int64_t or_minus_one(std::uint64_t value) {
  return value == trace::kNone ? -1 : static_cast<std::int64_t>(value);
}

// Columns of the interval table, filled a batch at a time.
struct IntervalColumns {
  std::vector<std::uint32_t> rank;
  std::vector<std::uint16_t> thread;
  std::vector<std::uint8_t> kind;
  std::vector<std::int16_t> cpu;
  std::vector<std::int64_t> chunk, item, cpu_ns, begin, end;
  explicit IntervalColumns(std::size_t rows) {
    rank.reserve(rows), thread.reserve(rows), kind.reserve(rows), cpu.reserve(rows);
    chunk.reserve(rows), item.reserve(rows), cpu_ns.reserve(rows), begin.reserve(rows), end.reserve(rows);
  }
  std::size_t size() const { return rank.size(); }
  void clear() {
    rank.clear(), thread.clear(), kind.clear(), cpu.clear();
    chunk.clear(), item.clear(), cpu_ns.clear(), begin.clear(), end.clear();
  }
};

void write_intervals(h5::ParallelFile& file, int rank, const trace::Recording& r) {
  const std::uint64_t local = r.recorded();
  h5::Table table(file, "intervals", local);
  if (intervals::kind.type != Type::kind) throw Error("timeline writer: 'intervals/kind' is not the kind enum");
  h5::Column columns[] = {
      add<std::uint32_t>(table, intervals::rank),
      add<std::uint16_t>(table, intervals::thread),
      table.add_enum_column(std::string(intervals::kind.name),
                            {std::begin(trace::kActivityNames), std::end(trace::kActivityNames)}),
      add<std::int16_t>(table, intervals::cpu),
      add<std::int64_t>(table, intervals::chunk),
      add<std::int64_t>(table, intervals::item),
      add<std::int64_t>(table, intervals::cpu_ns),
      add<std::int64_t>(table, intervals::begin_ns),
      add<std::int64_t>(table, intervals::end_ns)};

  std::uint64_t batches = (local + kBatchRows - 1) / kBatchRows;
  MPI_Allreduce(MPI_IN_PLACE, &batches, 1, MPI_UINT64_T, MPI_MAX, file.comm());
  IntervalColumns c(std::min(local, kBatchRows));
  std::uint64_t written = 0, done_batches = 0;
  const auto flush = [&] {
    const auto n = c.size();
    const void* data[] = {c.rank.data(), c.thread.data(), c.kind.data(), c.cpu.data(),
                          c.chunk.data(), c.item.data(), c.cpu_ns.data(), c.begin.data(), c.end.data()};
    for (std::size_t i = 0; i < std::size(columns); ++i) table.write(columns[i], written, n, data[i]);
    written += n;
    ++done_batches;
    c.clear();
  };
  for (std::size_t t = 0; t < r.logs.size(); ++t)
    r.logs[t].for_each([&](const trace::Interval* p, std::size_t n) {
      for (std::size_t i = 0; i < n; ++i) {
        c.rank.push_back(static_cast<std::uint32_t>(rank));
        c.thread.push_back(static_cast<std::uint16_t>(t));
        c.kind.push_back(static_cast<std::uint8_t>(p[i].kind));
        c.cpu.push_back(static_cast<std::int16_t>(p[i].cpu));
        c.chunk.push_back(or_minus_one(p[i].chunk));
        c.item.push_back(or_minus_one(p[i].item));
        c.cpu_ns.push_back(p[i].cpu_ns);
        c.begin.push_back(r.run_time(p[i].begin_ns));
        c.end.push_back(r.run_time(p[i].end_ns));
        if (c.size() == kBatchRows) flush();
      }
    });
  while (done_batches < batches) flush();  // the last partial batch, then empty ones
  for (auto& column : columns) column.close("close an interval column");
}

// A write or close failed on this rank with the file open. The other ranks may have succeeded and
// be waiting inside HDF5's next collective call (seen with ROMIO on a full disk), where neither an
// agreement nor a collective close can reach them: this rank removes the partial file, says why,
// and ends the whole job.
[[noreturn]] void abandon(MPI_Comm comm, const std::string& path, h5::ParallelFile& file, const std::string& why) {
  file.release();
  ::unlink(path.c_str());
  log::rank_error(fmt::format("cannot write the timeline '{}': {}", path, why));
  MPI_Abort(comm, static_cast<int>(ExitCode::failure));
  std::abort();
}

// Test hook: HYBRIDSCOPE_TEST_HOLD_WRITE=SECONDS keeps every rank inside the write, with the partial
// file created, for that long, so that the fault tests can land a kill there.
void hold_for_tests() {
  if (const char* seconds = std::getenv("HYBRIDSCOPE_TEST_HOLD_WRITE"))
    std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(seconds)));
}

}  // namespace

void write(MPI_Comm comm, const std::string& path, const RunFacts& facts, const RunSummary& summary,
           const RankFacts& rank, const trace::Recording& recording) {
  // Only the file's creation can fail here without ending the job, and on every rank alike.
  h5::ParallelFile file(path, comm);
  hold_for_tests();
  try {
    write_input(file, facts.input);
    write_ranks(file, rank.rank);
    write_threads(file, rank.threads);
    write_hosts(file, rank.host);
    write_clock(file, recording.clock_samples);
    write_environment(file, rank.environment);
    write_intervals(file, rank.rank.rank, recording);
    write_tasks(file, recording);
    write_ranges(file, succeeded::first, succeeded::count, rank.succeeded);
    const bool root = rank.rank.rank == 0;
    write_ranges(file, carried::first, carried::count, root ? facts.carried : std::vector<ItemRange>{});
    // Last, so that a file cut short in the write (a rank killed) has no `complete` to claim.
    write_root_attributes(file, facts, summary);
    file.flush_to_storage();
    file.close(fmt::format("close '{}'", path));
  } catch (const std::exception& e) {
    abandon(comm, path, file, e.what());
  }
  verify(comm, path);
}

void verify(MPI_Comm comm, const std::string& path) {
  mpi::on_every_rank(comm, [&] {
    try {
      h5::verify_readable(path, mpi::rank(comm), mpi::size(comm));
    } catch (const std::exception& e) {
      throw Error(fmt::format("the timeline did not survive writing (disk full or quota exceeded?): {}", e.what()));
    }
  });
}

}  // namespace hybridscope::timeline
