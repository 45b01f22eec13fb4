// The timeline file, written by all ranks and read back: one work interval per item, every
// thread's intervals gap-free over its rank's lifetime and inside the run, metadata consistent.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "hybridscope/config/config.hpp"
#include "hybridscope/h5/parallel.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/run/run.hpp"
#include "support.hpp"
#include "hybridscope/timeline/format.hpp"
#include "hybridscope/timeline/writer.hpp"

namespace hybridscope {
namespace {

using test_support::serialized;

// A fresh path that rank 0 chose, known to every rank.
std::string shared_path(const std::string& name) {
  std::string dir;
  if (mpi::rank(MPI_COMM_WORLD) == 0) {
    std::string pattern = (std::filesystem::temp_directory_path() / "hybridscope-test-XXXXXX").string();
    dir = mkdtemp(pattern.data());
  }
  return (std::filesystem::path(mpi::bcast_string(MPI_COMM_WORLD, dir, 0)) / name).string();
}

struct Columns {
  std::vector<std::uint32_t> rank;
  std::vector<std::uint16_t> thread;
  std::vector<std::uint8_t> kind;
  std::vector<std::int64_t> item, begin, end;
};

Columns read_intervals(const h5::File& file) {
  return {file.read_column<std::uint32_t>("intervals/rank"),
          file.read_column<std::uint16_t>("intervals/thread"),
          file.read_column<std::uint8_t>("intervals/kind"),
          file.read_column<std::int64_t>("intervals/item"),
          file.read_column<std::int64_t>("intervals/begin_ns"),
          file.read_column<std::int64_t>("intervals/end_ns")};
}

// The run's timeline, as `hybridscope run` writes it.
void write_timeline(const std::string& path, RunResult& result, const RunConfig& config) {
  result.facts.input = {"test", to_toml(config), to_toml(config)};
  result.facts.command_line = "test";
  result.facts.start_time_utc = "2026-01-01T00:00:00Z";
  timeline::write(*result.nodes, path, result.facts, result.summary, result.rank, result.recording);
}

constexpr auto kWork = static_cast<std::uint8_t>(trace::Activity::work);
constexpr auto kIo = static_cast<std::uint8_t>(trace::Activity::io);

void check_file(const std::string& path, const RunResult& result, const RunConfig& config) {
  h5::File file(path);
  EXPECT_EQ(file.integer_attribute("schema_version"), timeline::kSchemaVersion);
  EXPECT_EQ(file.integer_attribute("complete"), 1);
  EXPECT_EQ(file.string_attribute("checksum"), fmt::format("{:016x}", result.summary.checksum));
  EXPECT_EQ(file.integer_attribute("items_done"), static_cast<std::int64_t>(config.items));
  EXPECT_EQ(file.integer_attribute("ranks"), result.facts.layout.ranks);
  EXPECT_EQ(file.read_strings("input/resolved").at(0), to_toml(config));

  const auto rank_begin = file.read_column<std::int64_t>("ranks/begin_ns");
  const auto rank_end = file.read_column<std::int64_t>("ranks/end_ns");
  ASSERT_EQ(rank_begin.size(), static_cast<std::size_t>(result.facts.layout.ranks));
  const auto wall_ns = static_cast<std::int64_t>(result.summary.wall_seconds * 1e9 + 0.5);

  // Rows in rank order, whichever node leader wrote them (ranks mapped round-robin over nodes
  // interleave the nodes' rows).
  const auto ranks = file.read_column<std::int32_t>("ranks/rank");
  for (std::size_t r = 0; r < ranks.size(); ++r) ASSERT_EQ(ranks[r], int(r));
  EXPECT_EQ(file.read_strings("ranks/host"), result.hosts);
  const auto c = read_intervals(file);
  ASSERT_TRUE(std::is_sorted(c.rank.begin(), c.rank.end())) << "intervals not in rank order";
  std::vector<int> done(config.items, 0);
  std::map<std::pair<int, int>, std::int64_t> last_end;  // per thread: end of its latest interval
  for (std::size_t i = 0; i < c.rank.size(); ++i) {
    const std::pair<int, int> who{int(c.rank[i]), int(c.thread[i])};
    ASSERT_LE(c.begin[i], c.end[i]) << "row " << i;
    ASSERT_GE(c.begin[i], 0) << "row " << i;
    ASSERT_LE(c.end[i], wall_ns) << "row " << i;
    const auto previous = last_end.find(who);
    if (previous == last_end.end())
      EXPECT_EQ(c.begin[i], rank_begin[who.first]) << "thread does not start with its rank";
    else
      ASSERT_EQ(c.begin[i], previous->second) << "gap or overlap at row " << i;
    last_end[who] = c.end[i];
    // An item is a run of rows with its number (gil items: slices and lock waits); count its end.
    const bool last = i + 1 == c.rank.size() || c.item[i + 1] != c.item[i] || c.thread[i + 1] != c.thread[i];
    if ((c.kind[i] == kWork || c.kind[i] == kIo) && last) {
      ASSERT_GE(c.item[i], 0);
      ASSERT_LT(c.item[i], static_cast<std::int64_t>(config.items));
      ++done[c.item[i]];
    }
  }
  EXPECT_EQ(last_end.size(), static_cast<std::size_t>(result.facts.layout.workers()));
  for (const auto& [who, end] : last_end) EXPECT_EQ(end, rank_end[who.first]) << "thread ends early";
  for (std::uint64_t item = 0; item < config.items; ++item) ASSERT_EQ(done[item], 1) << "item " << item;

  const auto thread_items = file.read_column<std::uint64_t>("threads/items");
  std::uint64_t sum = 0;
  for (auto n : thread_items) sum += n;
  EXPECT_EQ(sum, config.items);
  for (auto dropped : file.read_column<std::uint64_t>("ranks/dropped_intervals"))
    EXPECT_EQ(dropped, 0u);
}

// Only node leaders open the file, so only they load HDF5 (h5/api.hpp): the other ranks are spared
// its libraries. First in this file: the tests below open files on every rank.
bool hdf5_loaded() {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);)
    if (line.find("libhdf5") != std::string::npos) return true;
  return false;
}

TEST(TimelineWrite, OnlyNodeLeadersLoadHdf5) {
  ASSERT_FALSE(hdf5_loaded()) << "HDF5 was loaded before anything used it";
  const RunConfig config = parse_config("items = 20\n[workload]\nn = 5\n", "test");
  auto result = run(MPI_COMM_WORLD, config, serialized());
  const auto path = shared_path("leaders.h5");
  write_timeline(path, result, config);
  EXPECT_EQ(hdf5_loaded(), result.nodes->leader());
  MPI_Barrier(MPI_COMM_WORLD);
  if (mpi::rank(MPI_COMM_WORLD) == 0) std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

// The HDF5 layer alone: every rank writes a different number of rows (rank 0 none at all on some
// columns' data), and the file reads back in rank order, strings and attributes included.
TEST(H5Table, RanksWriteTheirOwnRowsAndTheyReadBack) {
  const int rank = mpi::rank(MPI_COMM_WORLD), ranks = mpi::size(MPI_COMM_WORLD);
  const auto path = shared_path("table.h5");
  {
    h5::ParallelFile file(path, MPI_COMM_WORLD);
    file.set_attribute("note", std::string_view("héllo"));
    file.set_attribute("answer", std::int64_t{42});
    {  // every object must be closed before its file, as parallel HDF5 requires
      const auto rows = static_cast<std::uint64_t>(rank);  // rank r owns r rows
      h5::Table table(file, "t", rows);
      EXPECT_EQ(table.total_rows(), std::uint64_t(ranks) * (ranks - 1) / 2);
      std::vector<std::int64_t> values;
      std::vector<std::string> names;
      for (std::uint64_t i = 0; i < rows; ++i) {
        values.push_back(rank * 100 + std::int64_t(i));
        names.push_back(std::string(i + 1, char('a' + rank)));
      }
      table.column("value", values, "ns");
      table.strings("name", names);
    }
    file.close("close");
  }
  if (rank == 0) {
    h5::File file(path);
    EXPECT_EQ(file.string_attribute("note"), "héllo");
    EXPECT_EQ(file.integer_attribute("answer"), 42);
    const auto values = file.read_column<std::int64_t>("t/value");
    const auto names = file.read_strings("t/name");
    std::vector<std::int64_t> expected_values;
    std::vector<std::string> expected_names;
    for (int r = 0; r < ranks; ++r)
      for (int i = 0; i < r; ++i) {
        expected_values.push_back(r * 100 + i);
        expected_names.push_back(std::string(i + 1, char('a' + r)));
      }
    EXPECT_EQ(values, expected_values);
    EXPECT_EQ(names, expected_names);
    EXPECT_THROW(file.read_column<std::int64_t>("t/missing"), h5::H5Error);
    std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  }
}

// Creating over an existing file fails on every rank with HDF5's reason, and leaves the file alone.
TEST(H5Table, CreateRefusesAnExistingFile) {
  const auto path = shared_path("exists.h5");
  if (mpi::rank(MPI_COMM_WORLD) == 0) std::ofstream(path) << "keep";
  MPI_Barrier(MPI_COMM_WORLD);
  try {
    h5::ParallelFile file(path, MPI_COMM_WORLD);
    ADD_FAILURE() << "created over an existing file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("HDF5: cannot create"), std::string::npos) << e.what();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (mpi::rank(MPI_COMM_WORLD) == 0) {
    EXPECT_EQ(std::filesystem::file_size(path), 4u);
    std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  }
}

// The read-back checks chunks as stored: zeros where a chunk's bytes were (a write the file system
// lost) or a changed byte fail it, naming the dataset.
TEST(H5Table, ReadBackFindsADamagedChunk) {
  const auto path = shared_path("damaged.h5");
  {
    h5::ParallelFile file(path, MPI_COMM_WORLD);
    {
      h5::Table table(file, "t", 1 << 18);  // 4 chunks of pseudo-random values per rank
      std::vector<std::uint64_t> values(1 << 18);
      std::uint64_t x = 88172645463325252ull + std::uint64_t(mpi::rank(MPI_COMM_WORLD));
      for (auto& v : values) x ^= x << 13, x ^= x >> 7, x ^= x << 17, v = x;
      table.column("value", values);
    }
    file.close("close");
  }
  h5::verify_readable(path, mpi::rank(MPI_COMM_WORLD), mpi::size(MPI_COMM_WORLD));
  MPI_Barrier(MPI_COMM_WORLD);
  if (mpi::rank(MPI_COMM_WORLD) == 0) {
    const auto size = std::filesystem::file_size(path);
    for (const char fill : {'\0', '\x5a'}) {
      const auto copy = path + ".copy";
      std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing);
      {
        std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(std::streamoff(size / 2));
        const std::string bytes(512, fill);
        f.write(bytes.data(), std::streamsize(bytes.size()));
      }
      try {
        h5::verify_readable(copy, 0, 1);
        ADD_FAILURE() << "read back a file with 512 bytes overwritten in the middle";
      } catch (const h5::H5Error& e) {
        EXPECT_NE(std::string(e.what()).find("of 't/value'"), std::string::npos) << e.what();
      }
    }
    std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  }
}

class TimelineTest : public ::testing::TestWithParam<const char*> {};

TEST_P(TimelineTest, RoundTripsEveryIntervalOfEveryThread) {
  const RunConfig config = parse_config(GetParam(), "test");
  auto result = run(MPI_COMM_WORLD, config, serialized());
  const auto path = shared_path("run.h5");
  write_timeline(path, result, config);
  if (mpi::rank(MPI_COMM_WORLD) == 0) {
    check_file(path, result, config);
    std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Workloads, TimelineTest,
    ::testing::Values("items = 50\nstrategy = \"dynamic\"\n[workload]\nn = 12\n",
                      "items = 37\nchunk = 4\nstrategy = \"static-block\"\n[workload]\nn = 12\n",
                      "items = 12\nstrategy = \"guided\"\n[workload]\nkind = \"gil\"\nseconds = 0.002\n"
                      "switch_interval = 0.0005\n",
                      "items = 9\n[workload]\nkind = \"file_io\"\nbytes = 4096\n",
                      // Over 65536 intervals: several chunks per column, the last one partial.
                      "items = 40000\nchunk = 1\nstrategy = \"static-cyclic\"\n[workload]\nn = 1\n",
                      // Over 131072 intervals per rank at 4 ranks: every rank has chunks of its own,
                      // which it filters, and chunks it shares with the next rank.
                      "items = 600000\nchunk = 1000\nstrategy = \"static-block\"\n[workload]\nn = 1\n"));

// More intervals than the memory cap holds: full blocks go through the spool file and come back in
// order; when the spool cannot keep up, intervals are dropped and counted, never duplicated.
TEST(TimelineSpool, SpoolsBeyondTheMemoryCap) {
  // A static split gives every rank 8000 items: about 16000 intervals against 2048 per thread held.
  const RunConfig config = parse_config(
      fmt::format("items = {}\nchunk = 64\nstrategy = \"static-cyclic\"\n[workload]\nn = 12\n",
                  8000 * mpi::size(MPI_COMM_WORLD)), "test");
  RunOptions options = serialized();
  options.trace_memory_bytes = 1;  // the minimum: two blocks per thread
  auto result = run(MPI_COMM_WORLD, config, options);
  EXPECT_EQ(result.recording.spool->blocks(), 2 * result.recording.logs.size());
  std::uint64_t spooled = 0;
  for (std::size_t t = 0; t < result.recording.logs.size(); ++t) spooled += result.recording.spool->spooled(int(t));
  EXPECT_GT(spooled, 0u) << "no block went through the spool file";

  const auto path = shared_path("spool.h5");
  write_timeline(path, result, config);
  if (mpi::rank(MPI_COMM_WORLD) == 0) {
    h5::File file(path);
    std::uint64_t dropped = 0, recorded = 0;
    for (auto d : file.read_column<std::uint64_t>("ranks/dropped_intervals")) dropped += d;
    for (auto n : file.read_column<std::uint64_t>("ranks/intervals")) recorded += n;
    const auto c = read_intervals(file);
    EXPECT_EQ(c.rank.size(), recorded);
    std::vector<int> seen(config.items, 0);
    for (std::size_t i = 0; i < c.kind.size(); ++i)
      if (c.kind[i] == kWork) ASSERT_EQ(++seen.at(c.item[i]), 1) << "item " << c.item[i] << " twice";
    if (dropped == 0)
      for (auto n : seen) ASSERT_EQ(n, 1);
    std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  }
}

}  // namespace
}  // namespace hybridscope
