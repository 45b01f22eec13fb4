#include "hybridscope/timeline/writer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/log.hpp"
#include "hybridscope/core/stop.hpp"
#include "hybridscope/core/version.hpp"
#include "hybridscope/h5/h5.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/topo/host.hpp"

namespace hybridscope::timeline {

namespace {

// Rows of intervals each rank writes per collective call: bounds the memory of the conversion.
constexpr std::uint64_t kBatchRows = std::uint64_t{1} << 20;

std::int64_t or_minus_one(std::uint64_t value) {
  return value == trace::kNone ? -1 : static_cast<std::int64_t>(value);
}

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, static_cast<std::size_t>(std::max(0, length)));
  const auto end = version.find_first_of(",\n");  // the first clause names the library and version
  return version.substr(0, end);
}

std::string hdf5_library_version() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  return fmt::format("HDF5 {}.{}.{}", major, minor, release);
}

void write_root_attributes(hid_t file, const RunResult& r, const RunConfig& c, const RunMetadata& m) {
  h5::set_attribute(file, "schema_version", kSchemaVersion);
  h5::set_attribute(file, "producer", fmt::format("hybridscope {}", kVersion));
  h5::set_attribute(file, "complete", std::int64_t{r.complete()});
  h5::set_attribute(file, "stop_reason",
                    r.stop_signal ? fmt::format("stopped by {}", stop::signal_name(r.stop_signal))
                    : r.complete() ? std::string{}
                                   : fmt::format("{} of {} items done", r.items, r.planned_items));
  h5::set_attribute(file, "start_time_utc", m.start_time_utc);
  h5::set_attribute(file, "command_line", m.command_line);
  h5::set_attribute(file, "mpi_library", mpi_library_version());
  h5::set_attribute(file, "hdf5_library", hdf5_library_version());
  h5::set_attribute(file, "ranks", std::int64_t{r.layout.ranks});
  h5::set_attribute(file, "threads_per_rank", std::int64_t{r.layout.threads});
  h5::set_attribute(file, "nodes", std::int64_t{r.layout.nodes});
  h5::set_attribute(file, "strategy", to_string(c.strategy));
  h5::set_attribute(file, "handout", r.handout);
  h5::set_attribute(file, "workload", to_string(c.workload.kind));
  h5::set_attribute(file, "workload_description", describe(c.workload));
  h5::set_attribute(file, "items_planned", static_cast<std::int64_t>(r.planned_items));
  h5::set_attribute(file, "items_done", static_cast<std::int64_t>(r.items));
  h5::set_attribute(file, "checksum", fmt::format("{:016x}", r.checksum));
  h5::set_attribute(file, "wall_seconds", r.wall_seconds);
  h5::set_attribute(file, "time_unit", std::string_view("ns"));
  h5::set_attribute(file, "time_origin",
                    std::string_view("first begin of any rank, on rank 0's CLOCK_MONOTONIC"));
}

void write_input(hid_t file, MPI_Comm comm, const RunMetadata& m) {
  const bool root = mpi::rank(comm) == 0;
  h5::Table input(comm, file, "input", root ? 1 : 0);
  const auto one = [&](const std::string& s) { return root ? std::vector{s} : std::vector<std::string>{}; };
  input.strings("origin", one(m.origin));
  input.strings("given", one(m.input_text));
  input.strings("resolved", one(m.input_resolved));
}

void write_ranks(hid_t file, MPI_Comm comm, const RunResult& r) {
  h5::Table ranks(comm, file, "ranks", 1);
  const auto& l = r.layout;
  ranks.column("rank", std::vector<std::int32_t>{l.rank});
  ranks.strings("host", {l.hosts[l.rank]});
  ranks.column("pid", std::vector<std::int64_t>{::getpid()});
  ranks.column("local_rank", std::vector<std::int32_t>{l.local_rank});
  ranks.strings("allowed_cpus", {topo::allowed_cpus()});
  ranks.column("begin_ns", std::vector<std::int64_t>{r.clock.to_root(r.local.begin_ns) - r.origin_ns}, "ns");
  ranks.column("end_ns", std::vector<std::int64_t>{r.clock.to_root(r.local.end_ns) - r.origin_ns}, "ns");
  ranks.column("items", std::vector<std::uint64_t>{r.local.items()});
  ranks.column("checksum", std::vector<std::uint64_t>{r.local.checksum()});
  ranks.column("intervals", std::vector<std::uint64_t>{r.recorded_intervals()});
  ranks.column("dropped_intervals", std::vector<std::uint64_t>{r.dropped_intervals()});
  ranks.column("clock_offset_start_ns", std::vector<std::int64_t>{r.clock_start.offset_ns}, "ns");
  ranks.column("clock_offset_end_ns", std::vector<std::int64_t>{r.clock_end.offset_ns}, "ns");
  ranks.column("clock_round_trip_start_ns", std::vector<std::int64_t>{r.clock_start.round_trip_ns}, "ns");
  ranks.column("clock_round_trip_end_ns", std::vector<std::int64_t>{r.clock_end.round_trip_ns}, "ns");
}

void write_threads(hid_t file, MPI_Comm comm, const RunResult& r) {
  const auto n = r.logs.size();
  h5::Table threads(comm, file, "threads", n);
  std::vector<std::int32_t> rank(n, r.layout.rank), thread(n);
  std::vector<std::int64_t> tid(n);
  std::vector<std::string> allowed(n), place(n);
  std::vector<std::uint64_t> items(n), recorded(n), dropped(n);
  std::array<std::vector<std::int64_t>, trace::kActivityCount> totals;
  for (auto& t : totals) t.resize(n);
  for (std::size_t t = 0; t < n; ++t) {
    const auto& tally = r.local.threads[t];
    thread[t] = static_cast<std::int32_t>(t);
    tid[t] = tally.os_thread_id;
    allowed[t] = tally.allowed_cpus;
    place[t] = tally.openmp_place;
    items[t] = tally.items;
    recorded[t] = r.logs[t].recorded();
    dropped[t] = r.logs[t].dropped();
    for (std::size_t k = 0; k < trace::kActivityCount; ++k)
      totals[k][t] = r.logs[t].total_ns(static_cast<trace::Activity>(k));
  }
  threads.column("rank", rank);
  threads.column("thread", thread);
  threads.column("os_thread_id", tid);
  threads.strings("allowed_cpus", allowed);
  threads.strings("openmp_place", place);
  threads.column("items", items);
  threads.column("intervals", recorded);
  threads.column("dropped_intervals", dropped);
  for (std::size_t k = 0; k < trace::kActivityCount; ++k)
    threads.column(fmt::format("{}_ns", trace::kActivityNames[k]), totals[k], "ns");
}

void write_hosts(hid_t file, MPI_Comm comm, const RunResult& r) {
  // One row per node, written by the node's first rank.
  const bool first = r.layout.local_rank == 0;
  h5::Table hosts(comm, file, "hosts", first ? 1 : 0);
  std::vector<std::string> name;
  std::vector<std::int32_t> ranks, packages, cores, pus, numa;
  if (first) {
    const auto host = topo::describe_host();
    name.push_back(r.layout.hosts[r.layout.rank]);
    ranks.push_back(r.layout.local_size);
    packages.push_back(host.packages);
    cores.push_back(host.cores);
    pus.push_back(host.pus);
    numa.push_back(host.numa_nodes);
  }
  hosts.strings("host", name);
  hosts.column("ranks", ranks);
  hosts.column("packages", packages);
  hosts.column("cores", cores);
  hosts.column("pus", pus);
  hosts.column("numa_nodes", numa);
}

void write_clock(hid_t file, MPI_Comm comm, const RunResult& r) {
  const auto& samples = r.clock_samples;
  h5::Table clock(comm, file, "clock_samples", samples.size());
  std::vector<std::int32_t> rank, phase;
  std::vector<std::int64_t> send, root, recv;
  for (const auto& s : samples) {
    rank.push_back(s.rank);
    phase.push_back(s.phase);
    send.push_back(s.local_send_ns);
    root.push_back(s.root_ns);
    recv.push_back(s.local_recv_ns);
  }
  clock.column("rank", rank);
  clock.column("phase", phase);
  clock.column("local_send_ns", send, "ns");
  clock.column("root_ns", root, "ns");
  clock.column("local_recv_ns", recv, "ns");
}

void write_environment(hid_t file, MPI_Comm comm) {
  const bool root = mpi::rank(comm) == 0;
  std::vector<std::string> names, values;
  if (root)
    for (auto& [name, value] : topo::environment({"OMP_", "SLURM_", "OMPI_COMM_WORLD_", "HYBRIDSCOPE_"})) {
      names.push_back(name);
      values.push_back(value);
    }
  h5::Table environment(comm, file, "environment", names.size());
  environment.strings("name", names);
  environment.strings("value", values);
}

// Columns of the interval table, filled a batch at a time.
struct IntervalColumns {
  std::vector<std::uint32_t> rank;
  std::vector<std::uint16_t> thread;
  std::vector<std::uint8_t> kind;
  std::vector<std::int16_t> cpu;
  std::vector<std::int64_t> chunk, item, begin, end;
  explicit IntervalColumns(std::size_t rows) {
    rank.reserve(rows), thread.reserve(rows), kind.reserve(rows), cpu.reserve(rows);
    chunk.reserve(rows), item.reserve(rows), begin.reserve(rows), end.reserve(rows);
  }
  std::size_t size() const { return rank.size(); }
  void clear() {
    rank.clear(), thread.clear(), kind.clear(), cpu.clear();
    chunk.clear(), item.clear(), begin.clear(), end.clear();
  }
};

void write_intervals(hid_t file, MPI_Comm comm, const RunResult& r) {
  const std::uint64_t local = r.recorded_intervals();
  h5::Table table(comm, file, "intervals", local);
  auto kind_type = h5::enum_type({std::begin(trace::kActivityNames), std::end(trace::kActivityNames)});
  h5::Handle columns[] = {
      table.add_column("rank", h5::native_type<std::uint32_t>()),
      table.add_column("thread", h5::native_type<std::uint16_t>()),
      table.add_column("kind", kind_type.get()),
      table.add_column("cpu", h5::native_type<std::int16_t>()),
      table.add_column("chunk", h5::native_type<std::int64_t>()),
      table.add_column("item", h5::native_type<std::int64_t>()),
      table.add_column("begin_ns", h5::native_type<std::int64_t>(), "ns"),
      table.add_column("end_ns", h5::native_type<std::int64_t>(), "ns")};

  std::uint64_t batches = (local + kBatchRows - 1) / kBatchRows;
  MPI_Allreduce(MPI_IN_PLACE, &batches, 1, MPI_UINT64_T, MPI_MAX, comm);
  IntervalColumns c(std::min(local, kBatchRows));
  std::uint64_t written = 0, done_batches = 0;
  const auto flush = [&] {
    const auto n = c.size();
    table.write(columns[0].get(), h5::native_type<std::uint32_t>(), written, n, c.rank.data());
    table.write(columns[1].get(), h5::native_type<std::uint16_t>(), written, n, c.thread.data());
    table.write(columns[2].get(), kind_type.get(), written, n, c.kind.data());
    table.write(columns[3].get(), h5::native_type<std::int16_t>(), written, n, c.cpu.data());
    table.write(columns[4].get(), h5::native_type<std::int64_t>(), written, n, c.chunk.data());
    table.write(columns[5].get(), h5::native_type<std::int64_t>(), written, n, c.item.data());
    table.write(columns[6].get(), h5::native_type<std::int64_t>(), written, n, c.begin.data());
    table.write(columns[7].get(), h5::native_type<std::int64_t>(), written, n, c.end.data());
    written += n;
    ++done_batches;
    c.clear();
  };
  for (std::size_t t = 0; t < r.logs.size(); ++t)
    r.logs[t].for_each([&](const trace::Interval* p, std::size_t n) {
      for (std::size_t i = 0; i < n; ++i) {
        c.rank.push_back(static_cast<std::uint32_t>(r.layout.rank));
        c.thread.push_back(static_cast<std::uint16_t>(t));
        c.kind.push_back(static_cast<std::uint8_t>(p[i].kind));
        c.cpu.push_back(static_cast<std::int16_t>(p[i].cpu));
        c.chunk.push_back(or_minus_one(p[i].chunk));
        c.item.push_back(or_minus_one(p[i].item));
        c.begin.push_back(r.clock.to_root(p[i].begin_ns) - r.origin_ns);
        c.end.push_back(r.clock.to_root(p[i].end_ns) - r.origin_ns);
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
[[noreturn]] void abandon(MPI_Comm comm, const std::string& path, h5::Handle file, const std::string& why) {
  file.release();
  ::unlink(path.c_str());
  log::rank_error(fmt::format("cannot write the timeline '{}': {}", path, why));
  MPI_Abort(comm, static_cast<int>(ExitCode::failure));
  std::abort();
}

}  // namespace

void write(MPI_Comm comm, const std::string& path, const RunResult& result, const RunConfig& config,
           const RunMetadata& metadata) {
  std::string failure;
  try {
    auto file = h5::create_file(path, comm);
    try {
      write_root_attributes(file.get(), result, config, metadata);
      write_input(file.get(), comm, metadata);
      write_ranks(file.get(), comm, result);
      write_threads(file.get(), comm, result);
      write_hosts(file.get(), comm, result);
      write_clock(file.get(), comm, result);
      write_environment(file.get(), comm);
      write_intervals(file.get(), comm, result);
      file.close(fmt::format("close '{}'", path));
    } catch (const std::exception& e) {
      abandon(comm, path, std::move(file), e.what());
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  // Only the file's creation fails here, and on every rank (h5::check_all); this ends them together.
  mpi::raise_if_any_failed(comm, failure);
  verify(comm, path);
}

void verify(MPI_Comm comm, const std::string& path) {
  std::string failure;
  try {
    h5::verify_readable(path, mpi::rank(comm), mpi::size(comm));
  } catch (const std::exception& e) {
    failure = fmt::format("the timeline did not survive writing (disk full or quota exceeded?): {}",
                          e.what());
  }
  mpi::raise_if_any_failed(comm, failure);
}

}  // namespace hybridscope::timeline
