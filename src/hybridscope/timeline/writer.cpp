#include "hybridscope/timeline/writer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdlib>
#include <thread>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/log.hpp"
#include "hybridscope/core/phases.hpp"
#include "hybridscope/h5/parallel.hpp"
#include "hybridscope/mpi/pack.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/timeline/format.hpp"
#include "hybridscope/timeline/intervals.hpp"

namespace hybridscope::timeline {

namespace {

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
  set(file, a::hdf5_library, std::string_view(h5::library_version()));
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
  const bool root = mpi::rank(file.comm()) == 0;  // the first leader is rank 0
  h5::Table table(file, "input", root ? 1 : 0);
  const auto one = [&](const std::string& s) { return root ? std::vector{s} : std::vector<std::string>{}; };
  put(table, input::origin, one(in.origin));
  put(table, input::given, one(in.given));
  put(table, input::resolved, one(in.resolved));
}


// One vector per column, from a member of each row.
template <typename Row, typename Get>
auto column_of(const std::vector<Row>& rows, Get get) {
  std::vector<std::decay_t<decltype(get(rows.front()))>> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(get(row));
  return out;
}

// Every field of a row, in the order a rank's message to its node leader holds them.
template <typename R, typename F>
  requires std::same_as<std::remove_const_t<R>, RankRow>
void fields(R& r, F&& f) {
  f(r.rank), f(r.host), f(r.pid), f(r.local_rank), f(r.allowed_cpus), f(r.begin_ns), f(r.end_ns), f(r.items);
  f(r.checksum), f(r.intervals), f(r.dropped_intervals), f(r.max_rss_kib), f(r.clock_offset_start_ns);
  f(r.clock_offset_end_ns), f(r.clock_round_trip_start_ns), f(r.clock_round_trip_end_ns);
}

template <typename R, typename F>
  requires std::same_as<std::remove_const_t<R>, ThreadRow>
void fields(R& r, F&& f) {
  f(r.times), f(r.os_thread_id), f(r.allowed_cpus), f(r.openmp_place), f(r.intervals), f(r.dropped_intervals);
}

// The per-rank tables, each row of which one rank owns; their rows are in rank order.
enum PerRank : std::size_t { kRanks, kThreads, kIntervals, kTasks, kSucceeded, kPerRankTables };

// What a rank hands its node leader: its rows of the per-rank tables but the intervals (which
// follow in messages of their own), and where in each table they go.
struct Share {
  RankRow rank;
  std::vector<ThreadRow> threads;
  std::vector<trace::TaskAttempt> tasks;  // times already in the run's time
  std::vector<ItemRange> succeeded;
  std::uint64_t first[kPerRankTables] = {};  // this rank's first row in each table
  std::uint64_t count[kPerRankTables] = {};

};

// The thread rows hold strings: their number travels first, then each row field by field.
void pack(mpi::Packer& p, const Share& s) {
  fields(s.rank, p);
  p(std::uint64_t{s.threads.size()});
  for (const auto& t : s.threads) fields(t, p);
  p(s.tasks), p(s.succeeded), p(s.first), p(s.count);
}

Share unpack(mpi::Unpacker& u) {
  Share s;
  fields(s.rank, u);
  std::uint64_t threads = 0;
  u(threads);
  s.threads.resize(threads);
  for (auto& t : s.threads) fields(t, u);
  u(s.tasks), u(s.succeeded), u(s.first), u(s.count);
  return s;
}

// This rank's share; collective over all ranks (the place of its rows among every rank's).
Share make_share(MPI_Comm comm, const RankFacts& facts, const trace::Recording& r) {
  Share s{facts.rank, facts.threads, r.tasks, facts.succeeded};
  for (auto& t : s.tasks) t.begin_ns = r.run_time(t.begin_ns), t.end_ns = r.run_time(t.end_ns);
  s.count[kRanks] = 1;
  s.count[kThreads] = s.threads.size();
  s.count[kIntervals] = r.recorded();
  s.count[kTasks] = s.tasks.size();
  s.count[kSucceeded] = s.succeeded.size();
  MPI_Exscan(s.count, s.first, kPerRankTables, MPI_UINT64_T, MPI_SUM, comm);
  if (mpi::rank(comm) == 0) std::fill(std::begin(s.first), std::end(s.first), 0);
  return s;
}

// A node's shares, in rank order, on its leader; with every rank's totals.
struct NodeShares {
  std::vector<Share> ranks;
  std::uint64_t total[kPerRankTables] = {};
  std::uint64_t nodes = 0;
  int cpus = 1;  // threads this rank compresses with

  // Where this rank's intervals (in `s`, its share) go.
  IntervalRows intervals(const Share& s) const {
    return {s.first[kIntervals], s.count[kIntervals], total[kIntervals], nodes == 1, cpus};
  }

  // Where the node's rows of table `t` go: a span per rank, those that touch merged.
  std::vector<h5::RowSpan> spans(PerRank t) const {
    std::vector<h5::RowSpan> out;
    for (const auto& s : ranks) {
      if (s.count[t] == 0) continue;
      if (!out.empty() && out.back().first + out.back().count == s.first[t]) out.back().count += s.count[t];
      else out.push_back({s.first[t], s.count[t]});
    }
    return out;
  }
  template <typename Row>
  std::vector<Row> rows(std::vector<Row> Share::*member) const {
    std::vector<Row> out;
    for (const auto& s : ranks) out.insert(out.end(), (s.*member).begin(), (s.*member).end());
    return out;
  }
};

NodeShares gather_shares(const mpi::NodeComms& nodes, const Share& mine) {
  mpi::Packer packer;
  pack(packer, mine);
  const auto bytes = mpi::gather_bytes(nodes.node(), packer.bytes());
  NodeShares node;
  std::uint64_t sums[kPerRankTables + 1];  // every table's rows, and the number of nodes
  std::copy(std::begin(mine.count), std::end(mine.count), sums);
  sums[kPerRankTables] = nodes.leader() ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, sums, kPerRankTables + 1, MPI_UINT64_T, MPI_SUM, nodes.all());
  std::copy(sums, sums + kPerRankTables, node.total);
  node.nodes = sums[kPerRankTables];
  node.cpus = mpi::cpu_share(nodes.node());
  if (!nodes.leader()) return node;
  mpi::Unpacker unpacker(bytes.data(), bytes.data() + bytes.size());
  while (!unpacker.done()) node.ranks.push_back(unpack(unpacker));
  return node;
}

void write_ranks(h5::ParallelFile& file, const NodeShares& node) {
  h5::Table table(file, "ranks", node.total[kRanks], node.spans(kRanks));
  std::vector<RankRow> rows;
  for (const auto& s : node.ranks) rows.push_back(s.rank);
  put(table, ranks::rank, column_of(rows, [](auto& r) { return std::int32_t{r.rank}; }));
  put(table, ranks::host, column_of(rows, [](auto& r) { return r.host; }));
  put(table, ranks::pid, column_of(rows, [](auto& r) { return r.pid; }));
  put(table, ranks::local_rank, column_of(rows, [](auto& r) { return std::int32_t{r.local_rank}; }));
  put(table, ranks::allowed_cpus, column_of(rows, [](auto& r) { return r.allowed_cpus; }));
  put(table, ranks::begin_ns, column_of(rows, [](auto& r) { return r.begin_ns; }));
  put(table, ranks::end_ns, column_of(rows, [](auto& r) { return r.end_ns; }));
  put(table, ranks::items, column_of(rows, [](auto& r) { return r.items; }));
  put(table, ranks::checksum, column_of(rows, [](auto& r) { return r.checksum; }));
  put(table, ranks::intervals, column_of(rows, [](auto& r) { return r.intervals; }));
  put(table, ranks::dropped_intervals, column_of(rows, [](auto& r) { return r.dropped_intervals; }));
  put(table, ranks::max_rss_kib, column_of(rows, [](auto& r) { return r.max_rss_kib; }));
  put(table, ranks::clock_offset_start_ns, column_of(rows, [](auto& r) { return r.clock_offset_start_ns; }));
  put(table, ranks::clock_offset_end_ns, column_of(rows, [](auto& r) { return r.clock_offset_end_ns; }));
  put(table, ranks::clock_round_trip_start_ns, column_of(rows, [](auto& r) { return r.clock_round_trip_start_ns; }));
  put(table, ranks::clock_round_trip_end_ns, column_of(rows, [](auto& r) { return r.clock_round_trip_end_ns; }));
}

void write_threads(h5::ParallelFile& file, const NodeShares& node) {
  h5::Table table(file, "threads", node.total[kThreads], node.spans(kThreads));
  const auto rows = node.rows(&Share::threads);
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

void write_tasks(h5::ParallelFile& file, const NodeShares& node) {
  h5::Table table(file, "tasks", node.total[kTasks], node.spans(kTasks));
  const auto rows = node.rows(&Share::tasks);
  put(table, tasks::item, column_of(rows, [](auto& t) { return static_cast<std::int64_t>(t.item); }));
  put(table, tasks::rank, column_of(rows, [](auto& t) { return t.rank; }));
  put(table, tasks::thread, column_of(rows, [](auto& t) { return t.thread; }));
  put(table, tasks::attempt, column_of(rows, [](auto& t) { return t.attempt; }));
  put(table, tasks::pid, column_of(rows, [](auto& t) { return t.pid; }));
  put(table, tasks::exit_code, column_of(rows, [](auto& t) { return t.exit_code; }));
  put(table, tasks::signal, column_of(rows, [](auto& t) { return t.signal; }));
  put(table, tasks::begin_ns, column_of(rows, [](auto& t) { return t.begin_ns; }));
  put(table, tasks::end_ns, column_of(rows, [](auto& t) { return t.end_ns; }));
  put(table, tasks::user_ns, column_of(rows, [](auto& t) { return t.user_ns; }));
  put(table, tasks::system_ns, column_of(rows, [](auto& t) { return t.system_ns; }));
  put(table, tasks::max_rss_kib, column_of(rows, [](auto& t) { return t.max_rss_kib; }));
  put(table, tasks::abandoned, column_of(rows, [](auto& t) { return std::uint8_t{t.abandoned}; }));
}

void write_ranges(h5::Table& table, const Field& first, const Field& count, const std::vector<ItemRange>& rows) {
  put(table, first, column_of(rows, [](auto& r) { return r.begin; }));
  put(table, count, column_of(rows, [](auto& r) { return r.size(); }));
}

void write_succeeded(h5::ParallelFile& file, const NodeShares& node) {
  h5::Table table(file, std::string(succeeded::first.table), node.total[kSucceeded], node.spans(kSucceeded));
  write_ranges(table, succeeded::first, succeeded::count, node.rows(&Share::succeeded));
}

void write_carried(h5::ParallelFile& file, const std::vector<ItemRange>& rows) {
  h5::Table table(file, std::string(carried::first.table), rows.size());
  write_ranges(table, carried::first, carried::count, rows);
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

// The node's intervals (timeline/intervals.hpp), in the table's columns created here.
void write_intervals(h5::ParallelFile& file, MPI_Comm node_comm, const NodeShares& node, int rank,
                     const trace::Recording& recording) {
  h5::Table table(file, "intervals", node.total[kIntervals], node.spans(kIntervals));
  if (intervals::kind.type != Type::kind) throw Error("timeline writer: 'intervals/kind' is not the kind enum");
  std::vector<h5::Column> columns;
  columns.push_back(add<std::uint32_t>(table, intervals::rank));
  columns.push_back(add<std::uint16_t>(table, intervals::thread));
  columns.push_back(table.add_enum_column(std::string(intervals::kind.name),
                                          {std::begin(trace::kActivityNames), std::end(trace::kActivityNames)}));
  columns.push_back(add<std::int16_t>(table, intervals::cpu));
  for (const auto* field : {&intervals::chunk, &intervals::item, &intervals::cpu_ns, &intervals::begin_ns, &intervals::end_ns})
    columns.push_back(add<std::int64_t>(table, *field));
  std::vector<std::uint64_t> count_of;
  for (const auto& s : node.ranks) count_of.push_back(s.count[kIntervals]);
  write_intervals(table, columns, node_comm, count_of, node.intervals(node.ranks.front()), rank, recording);
  for (auto& column : columns) column.close("close an interval column");
}

// A write or close failed on a node leader with the file open. The other leaders may have
// succeeded and be waiting inside HDF5's next collective call (seen with ROMIO on a full disk),
// where neither an agreement nor a collective close can reach them: this leader removes the partial
// file, says why, and ends the whole job.
[[noreturn]] void abandon(MPI_Comm comm, const std::string& path, h5::ParallelFile& file, const std::string& why) {
  file.release();
  ::unlink(path.c_str());
  log::rank_error(fmt::format("cannot write the timeline '{}': {}", path, why));
  MPI_Abort(comm, static_cast<int>(ExitCode::failure));
  std::abort();
}

// Test hook: HYBRIDSCOPE_TEST_HOLD_WRITE=SECONDS keeps the node leaders inside the write, with the
// partial file created, for that long, so that the fault tests can land a kill there.
void hold_for_tests() {
  if (const char* seconds = std::getenv("HYBRIDSCOPE_TEST_HOLD_WRITE"))
    std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(seconds)));
}

// Runs `body` on the node leaders, collectively over them, and ends with every rank knowing
// whether it failed (then every rank throws the leaders' error); the other ranks of a node wait
// for their leader without spinning.
template <typename Body>
void on_leaders(const mpi::NodeComms& nodes, Body&& body) {
  std::string failure;
  int code = static_cast<int>(ExitCode::ok);
  if (nodes.leader()) {
    try {
      mpi::on_every_rank(nodes.leaders(), body);
    } catch (const Error& e) {
      failure = e.what();
      code = static_cast<int>(e.code());
    }
  }
  mpi::idle_barrier(nodes.node());
  MPI_Bcast(&code, 1, MPI_INT, 0, nodes.node());
  if (code != static_cast<int>(ExitCode::ok)) mpi::throw_error(mpi::bcast_string(nodes.node(), failure, 0), code);
}

// A node leader's part of the file: the tables of its node, and what is written once.
void write_node(h5::ParallelFile& file, const mpi::NodeComms& nodes, const NodeShares& node, const RunFacts& facts,
                const RunSummary& summary, const RankFacts& rank, const trace::Recording& recording) {
  const bool root = rank.rank.rank == 0;
  write_input(file, facts.input);
  write_ranks(file, node);
  write_threads(file, node);
  write_hosts(file, rank.host);
  write_clock(file, recording.clock_samples);
  write_environment(file, rank.environment);
  write_intervals(file, nodes.node(), node, rank.rank.rank, recording);
  write_tasks(file, node);
  write_succeeded(file, node);
  write_carried(file, root ? facts.carried : std::vector<ItemRange>{});
  // Last, so that a file cut short in the write (a rank killed) has no `complete` to claim.
  write_root_attributes(file, facts, summary);
  file.flush_to_storage();
}

}  // namespace

void write(const mpi::NodeComms& nodes, const std::string& path, const RunFacts& facts, const RunSummary& summary,
           const RankFacts& rank, const trace::Recording& recording) {
  phases::begin("write");
  const auto mine = make_share(nodes.all(), rank, recording);
  const auto node = gather_shares(nodes, mine);
  std::optional<h5::ParallelFile> file;
  // Only the file's creation can fail here without ending the job, and on every leader alike.
  on_leaders(nodes, [&] { file.emplace(path, nodes.leaders()); });
  if (nodes.leader()) {
    hold_for_tests();
    try {
      write_node(*file, nodes, node, facts, summary, rank, recording);
      file->close(fmt::format("close '{}'", path));
    } catch (const std::exception& e) {
      abandon(nodes.all(), path, *file, e.what());
    }
  } else {
    try {
      send_intervals(nodes.node(), node.intervals(mine), rank.rank.rank, recording);
    } catch (const std::exception& e) {  // its leader would wait for the rest of its intervals
      log::rank_error(fmt::format("cannot hand the timeline's intervals to the node leader: {}", e.what()));
      MPI_Abort(nodes.all(), static_cast<int>(ExitCode::failure));
    }
  }
  phases::begin("read-back");
  verify(nodes, path);
}

void verify(const mpi::NodeComms& nodes, const std::string& path) {
  on_leaders(nodes, [&] {
    try {
      h5::verify_readable(path, mpi::rank(nodes.leaders()), mpi::size(nodes.leaders()));
    } catch (const std::exception& e) {
      throw Error(fmt::format("the timeline did not survive writing (disk full or quota exceeded?): {}", e.what()));
    }
  });
}

}  // namespace hybridscope::timeline
