// Chunk plans and static assignments: for every strategy the chunks cover [0, items) exactly once,
// in order and without overlap; static-block gives each rank one contiguous run, static-cyclic deals
// chunk k to rank k % ranks, and guided chunks shrink like OpenMP's guided schedule.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <ostream>
#include <tuple>
#include <vector>

#include "hybridscope/sched/plan.hpp"

namespace hybridscope::sched {
namespace {

constexpr Strategy kAll[] = {Strategy::static_block, Strategy::static_cyclic, Strategy::dynamic,
                             Strategy::guided};

std::vector<Range> chunks_of(const ChunkPlan& plan) {
  std::vector<Range> out;
  out.reserve(plan.count());
  for (std::uint64_t k = 0; k < plan.count(); ++k) out.push_back(plan.chunk(k));
  return out;
}

std::vector<std::uint64_t> owned_by(const ChunkPlan& plan, Strategy s, int rank, int ranks) {
  StaticAssignment a(plan, s, rank, ranks);
  std::vector<std::uint64_t> out;
  while (auto index = a.next()) {
    out.push_back(*index);
    if (out.size() > plan.count()) break;  // a runaway assignment must not hang the test
  }
  // Once done, it stays done.
  EXPECT_FALSE(a.next().has_value());
  return out;
}

// Chunks are non-empty, start at 0, each begins where the previous ended, and the last ends at
// `items`: together they cover [0, items) exactly once.
void expect_partition(const std::vector<Range>& chunks, std::uint64_t items) {
  ASSERT_FALSE(chunks.empty());
  std::uint64_t expected_begin = 0;
  for (std::size_t k = 0; k < chunks.size(); ++k) {
    ASSERT_EQ(chunks[k].begin, expected_begin) << "gap or overlap before chunk " << k;
    ASSERT_GT(chunks[k].end, chunks[k].begin) << "empty chunk " << k;
    ASSERT_EQ(chunks[k].size(), chunks[k].end - chunks[k].begin);
    expected_begin = chunks[k].end;
  }
  EXPECT_EQ(expected_begin, items);
}

struct Shape {
  std::uint64_t items;
  std::uint64_t chunk;
  int ranks;
};
void PrintTo(const Shape& s, std::ostream* os) {
  *os << "items=" << s.items << " chunk=" << s.chunk << " ranks=" << s.ranks;
}

class PlanShapes : public ::testing::TestWithParam<Shape> {};

TEST_P(PlanShapes, EveryStrategyCoversEveryItemExactlyOnce) {
  const auto [items, chunk, ranks] = GetParam();
  for (const Strategy s : kAll) {
    SCOPED_TRACE(std::string(to_string(s)));
    const ChunkPlan plan(items, chunk, s, ranks);
    EXPECT_EQ(plan.items(), items);
    const auto chunks = chunks_of(plan);
    expect_partition(chunks, items);
    // Item-level bookkeeping as a second, independent view of the same claim.
    std::vector<std::uint8_t> seen(items, 0);
    for (const auto& r : chunks)
      for (std::uint64_t i = r.begin; i < r.end; ++i) ++seen[i];
    EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](std::uint8_t n) { return n == 1; }));
  }
}

TEST_P(PlanShapes, UniformStrategiesCutChunksOfTheRequestedSize) {
  const auto [items, chunk, ranks] = GetParam();
  const std::uint64_t expected_count = (items + chunk - 1) / chunk;
  const std::uint64_t last_size = items - (expected_count - 1) * chunk;
  for (const Strategy s : {Strategy::static_block, Strategy::static_cyclic, Strategy::dynamic}) {
    SCOPED_TRACE(std::string(to_string(s)));
    const ChunkPlan plan(items, chunk, s, ranks);
    ASSERT_EQ(plan.count(), expected_count);
    for (std::uint64_t k = 0; k + 1 < plan.count(); ++k) ASSERT_EQ(plan.chunk(k).size(), chunk) << k;
    EXPECT_EQ(plan.chunk(plan.count() - 1).size(), last_size);
    EXPECT_GE(last_size, 1u);
    EXPECT_LE(last_size, chunk);
  }
}

TEST_P(PlanShapes, StaticStrategiesGiveEveryChunkToExactlyOneRank) {
  const auto [items, chunk, ranks] = GetParam();
  for (const Strategy s : {Strategy::static_block, Strategy::static_cyclic}) {
    SCOPED_TRACE(std::string(to_string(s)));
    const ChunkPlan plan(items, chunk, s, ranks);
    std::vector<int> owner(plan.count(), -1);
    for (int r = 0; r < ranks; ++r) {
      const auto mine = owned_by(plan, s, r, ranks);
      EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end())) << "rank " << r;
      for (const auto k : mine) {
        ASSERT_LT(k, plan.count()) << "rank " << r;
        ASSERT_EQ(owner[k], -1) << "chunk " << k << " given to ranks " << owner[k] << " and " << r;
        owner[k] = r;
      }
    }
    for (std::uint64_t k = 0; k < plan.count(); ++k) EXPECT_NE(owner[k], -1) << "chunk " << k;
  }
}

TEST_P(PlanShapes, StaticBlockGivesEachRankAContiguousBalancedRun) {
  const auto [items, chunk, ranks] = GetParam();
  const ChunkPlan plan(items, chunk, Strategy::static_block, ranks);
  std::uint64_t next_first = 0;  // rank r's run starts where rank r-1's ended
  std::uint64_t smallest = plan.count(), largest = 0;
  for (int r = 0; r < ranks; ++r) {
    const auto mine = owned_by(plan, Strategy::static_block, r, ranks);
    for (std::size_t i = 0; i < mine.size(); ++i)
      ASSERT_EQ(mine[i], next_first + i) << "rank " << r << " run is not contiguous";
    next_first += mine.size();
    smallest = std::min<std::uint64_t>(smallest, mine.size());
    largest = std::max<std::uint64_t>(largest, mine.size());
    // Either floor or ceil of count / ranks.
    EXPECT_GE(mine.size(), plan.count() / ranks) << "rank " << r;
    EXPECT_LE(mine.size(), (plan.count() + ranks - 1) / ranks) << "rank " << r;
  }
  EXPECT_EQ(next_first, plan.count());
  EXPECT_LE(largest - smallest, 1u);
}

TEST_P(PlanShapes, StaticCyclicDealsChunkKToRankKModRanks) {
  const auto [items, chunk, ranks] = GetParam();
  const ChunkPlan plan(items, chunk, Strategy::static_cyclic, ranks);
  for (int r = 0; r < ranks; ++r) {
    std::vector<std::uint64_t> expected;
    for (std::uint64_t k = 0; k < plan.count(); ++k)
      if (k % static_cast<std::uint64_t>(ranks) == static_cast<std::uint64_t>(r)) expected.push_back(k);
    EXPECT_EQ(owned_by(plan, Strategy::static_cyclic, r, ranks), expected) << "rank " << r;
  }
}

TEST_P(PlanShapes, GuidedChunksNeverGrowAndRespectTheMinimum) {
  const auto [items, chunk, ranks] = GetParam();
  const ChunkPlan plan(items, chunk, Strategy::guided, ranks);
  const auto chunks = chunks_of(plan);
  for (std::size_t k = 1; k < chunks.size(); ++k)
    EXPECT_LE(chunks[k].size(), chunks[k - 1].size()) << "chunk " << k << " grew";
  for (std::size_t k = 0; k + 1 < chunks.size(); ++k)
    EXPECT_GE(chunks[k].size(), chunk) << "chunk " << k << " below the minimum";
  // The first chunk is a rank's share of everything (OpenMP: remaining / threads), at least `chunk`.
  const std::uint64_t share = (items + ranks - 1) / ranks;
  EXPECT_EQ(chunks.front().size(), std::min(items, std::max(chunk, share)));
  // No chunk is larger than a rank's share of what was left when it was cut.
  for (const auto& r : chunks) {
    const std::uint64_t remaining = items - r.begin;
    EXPECT_LE(r.size(), std::max(chunk, (remaining + ranks - 1) / ranks));
  }
  // Guided never needs more chunks than uniform chunks of the minimum size would.
  EXPECT_LE(plan.count(), (items + chunk - 1) / chunk);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PlanShapes,
    ::testing::Values(Shape{1, 1, 1}, Shape{1, 1, 4},          // a single item
                      Shape{2, 1, 3}, Shape{3, 2, 5},          // more ranks than chunks
                      Shape{5, 5, 1}, Shape{5, 5, 3},          // chunk == items
                      Shape{10, 3, 1}, Shape{10, 3, 2},        // chunk does not divide items
                      Shape{10, 3, 4}, Shape{10, 3, 16},       // ranks > chunks
                      Shape{64, 1, 64}, Shape{97, 13, 1},      //
                      Shape{100, 1, 4}, Shape{100, 7, 3},      //
                      Shape{100, 100, 2}, Shape{1000, 999, 2}, //
                      Shape{1000, 1, 7}, Shape{1001, 10, 10},  //
                      Shape{4096, 64, 5}, Shape{12345, 17, 8}, //
                      Shape{20000, 1, 3}, Shape{65537, 256, 12}));

// ---------------------------------------------------------------------------------------------
// Known answers

std::vector<std::uint64_t> sizes(const ChunkPlan& plan) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t k = 0; k < plan.count(); ++k) out.push_back(plan.chunk(k).size());
  return out;
}

TEST(GuidedPlan, KnownShrinkingSequence) {
  // 100 items over 4 ranks, minimum 1: ceil(remaining / 4) each time, worked out by hand.
  EXPECT_EQ(sizes(ChunkPlan(100, 1, Strategy::guided, 4)),
            (std::vector<std::uint64_t>{25, 19, 14, 11, 8, 6, 5, 3, 3, 2, 1, 1, 1, 1}));
  // The minimum chunk holds once the share drops below it; the last chunk takes what is left.
  EXPECT_EQ(sizes(ChunkPlan(10, 3, Strategy::guided, 2)), (std::vector<std::uint64_t>{5, 3, 2}));
  EXPECT_EQ(sizes(ChunkPlan(20, 4, Strategy::guided, 2)),
            (std::vector<std::uint64_t>{10, 5, 4, 1}));
}

TEST(GuidedPlan, OneRankTakesEverythingAtOnce) {
  for (const std::uint64_t items : {1ull, 7ull, 1000ull}) {
    const ChunkPlan plan(items, 1, Strategy::guided, 1);
    ASSERT_EQ(plan.count(), 1u) << items;
    EXPECT_EQ(plan.chunk(0).begin, 0u);
    EXPECT_EQ(plan.chunk(0).end, items);
  }
}

TEST(UniformPlan, KnownChunks) {
  const ChunkPlan plan(10, 3, Strategy::dynamic, 4);
  ASSERT_EQ(plan.count(), 4u);
  EXPECT_EQ(plan.chunk(0).begin, 0u);
  EXPECT_EQ(plan.chunk(0).end, 3u);
  EXPECT_EQ(plan.chunk(2).begin, 6u);
  EXPECT_EQ(plan.chunk(2).end, 9u);
  EXPECT_EQ(plan.chunk(3).begin, 9u);
  EXPECT_EQ(plan.chunk(3).end, 10u);
}

TEST(StaticAssignment, KnownBlocksAndCycles) {
  // 10 chunks over 4 ranks: blocks of 2, 3, 2, 3 (floor(10 r / 4) boundaries); cycles by k % 4.
  const ChunkPlan plan(10, 1, Strategy::static_block, 4);
  EXPECT_EQ(owned_by(plan, Strategy::static_block, 0, 4), (std::vector<std::uint64_t>{0, 1}));
  EXPECT_EQ(owned_by(plan, Strategy::static_block, 1, 4), (std::vector<std::uint64_t>{2, 3, 4}));
  EXPECT_EQ(owned_by(plan, Strategy::static_block, 2, 4), (std::vector<std::uint64_t>{5, 6}));
  EXPECT_EQ(owned_by(plan, Strategy::static_block, 3, 4), (std::vector<std::uint64_t>{7, 8, 9}));
  EXPECT_EQ(owned_by(plan, Strategy::static_cyclic, 1, 4), (std::vector<std::uint64_t>{1, 5, 9}));
  EXPECT_EQ(owned_by(plan, Strategy::static_cyclic, 3, 4), (std::vector<std::uint64_t>{3, 7}));
  // More ranks than chunks: some ranks get nothing, and that is not an error.
  const ChunkPlan two(2, 1, Strategy::static_block, 5);
  int empty = 0;
  for (int r = 0; r < 5; ++r) empty += owned_by(two, Strategy::static_block, r, 5).empty();
  EXPECT_EQ(empty, 3);
}

// ---------------------------------------------------------------------------------------------
// Large plans: only arithmetic on a few chunks (walking 10^12 items would take hours)

constexpr std::uint64_t kTera = 1'000'000'000'000;  // the configuration's largest item count

TEST(LargePlan, UniformChunkArithmetic) {
  const ChunkPlan big(kTera, 1'000'000'000, Strategy::dynamic, 4);
  ASSERT_EQ(big.count(), 1000u);
  EXPECT_EQ(big.chunk(0).begin, 0u);
  EXPECT_EQ(big.chunk(0).end, 1'000'000'000u);
  EXPECT_EQ(big.chunk(500).begin, 500'000'000'000u);
  EXPECT_EQ(big.chunk(999).end, kTera);
  expect_partition(chunks_of(big), kTera);

  // A chunk size that does not divide 10^12: the last chunk is the remainder.
  const ChunkPlan odd(kTera, 3, Strategy::static_cyclic, 7);
  ASSERT_EQ(odd.count(), 333'333'333'334u);
  EXPECT_EQ(odd.chunk(333'333'333'332).begin, 999'999'999'996u);
  EXPECT_EQ(odd.chunk(333'333'333'332).end, 999'999'999'999u);
  EXPECT_EQ(odd.chunk(333'333'333'333).begin, 999'999'999'999u);
  EXPECT_EQ(odd.chunk(333'333'333'333).end, kTera);
  EXPECT_EQ(odd.chunk(333'333'333'333).size(), 1u);

  const ChunkPlan whole(kTera, kTera, Strategy::static_block, 3);
  ASSERT_EQ(whole.count(), 1u);
  EXPECT_EQ(whole.chunk(0).end, kTera);
}

TEST(LargePlan, StaticAssignmentStartsWithoutWalking) {
  // 10^12 chunks of one item: each rank's first chunk, without iterating its share.
  const ChunkPlan plan(kTera, 1, Strategy::static_block, 3);
  std::uint64_t firsts[3];
  for (int r = 0; r < 3; ++r) {
    StaticAssignment a(plan, Strategy::static_block, r, 3);
    const auto first = a.next();
    ASSERT_TRUE(first.has_value());
    firsts[r] = *first;
    const auto second = a.next();
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(*second, *first + 1);
  }
  EXPECT_EQ(firsts[0], 0u);
  EXPECT_EQ(firsts[1], 333'333'333'333u);
  EXPECT_EQ(firsts[2], 666'666'666'666u);

  StaticAssignment cyclic(plan, Strategy::static_cyclic, 2, 3);
  EXPECT_EQ(cyclic.next(), std::optional<std::uint64_t>(2));
  EXPECT_EQ(cyclic.next(), std::optional<std::uint64_t>(5));

  // Many ranks: rank * count must not overflow 64 bits.
  const int ranks = 100'000'000;
  StaticAssignment last(plan, Strategy::static_block, ranks - 1, ranks);
  const auto index = last.next();
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ(*index, kTera - kTera / ranks);
}

TEST(LargePlan, GuidedPlanStaysShortAndCoversEverything) {
  for (const int ranks : {1, 4, 64}) {
    SCOPED_TRACE(ranks);
    const ChunkPlan plan(kTera, 1, Strategy::guided, ranks);
    EXPECT_LT(plan.count(), 10'000u);  // about ranks * ln(items / ranks) + ranks
    const auto chunks = chunks_of(plan);
    expect_partition(chunks, kTera);
    for (std::size_t k = 1; k < chunks.size(); ++k) ASSERT_LE(chunks[k].size(), chunks[k - 1].size());
    EXPECT_EQ(chunks.front().size(), (kTera + ranks - 1) / ranks);
  }
  const ChunkPlan coarse(kTera, 1'000'000, Strategy::guided, 8);
  const auto chunks = chunks_of(coarse);
  expect_partition(chunks, kTera);
  for (std::size_t k = 0; k + 1 < chunks.size(); ++k) ASSERT_GE(chunks[k].size(), 1'000'000u);
}

}  // namespace
}  // namespace hybridscope::sched
