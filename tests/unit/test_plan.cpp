// Chunk plans and static assignments: every strategy covers [0, items) exactly once.
#include <gtest/gtest.h>

#include <optional>
#include <tuple>
#include <vector>

#include "hybridscope/sched/plan.hpp"

namespace hybridscope::sched {
namespace {

constexpr Strategy kAll[] = {Strategy::static_block, Strategy::static_cyclic, Strategy::dynamic,
                             Strategy::guided};

// Which rank gets which chunk: static strategies ask StaticAssignment; dynamic and guided hand out
// chunks in index order to whoever asks, so a round-robin of ranks stands in for them.
std::vector<std::vector<std::uint64_t>> assign(const ChunkPlan& plan, Strategy s, int ranks) {
  std::vector<std::vector<std::uint64_t>> owned(ranks);
  if (s == Strategy::static_block || s == Strategy::static_cyclic) {
    for (int r = 0; r < ranks; ++r) {
      StaticAssignment a(plan, s, r, ranks);
      while (auto index = a.next()) owned[r].push_back(*index);
    }
  } else {
    for (std::uint64_t k = 0; k < plan.count(); ++k) owned[k % ranks].push_back(k);
  }
  return owned;
}

using Shape = std::tuple<std::uint64_t, std::uint64_t, int>;  // items, chunk, ranks

class Coverage : public ::testing::TestWithParam<Shape> {};

TEST_P(Coverage, EveryStrategyCoversEveryItemExactlyOnce) {
  const auto [items, chunk, ranks] = GetParam();
  for (const Strategy s : kAll) {
    const ChunkPlan plan(items, chunk, s, ranks);
    std::vector<int> seen(items, 0);
    std::uint64_t expected_begin = 0;
    for (std::uint64_t k = 0; k < plan.count(); ++k) {
      const Range r = plan.chunk(k);
      ASSERT_EQ(r.begin, expected_begin) << "chunks are not contiguous, strategy " << int(s);
      ASSERT_GT(r.size(), 0u);
      expected_begin = r.end;
    }
    ASSERT_EQ(expected_begin, items);
    for (const auto& chunks : assign(plan, s, ranks))
      for (const auto k : chunks) {
        ASSERT_LT(k, plan.count());
        const Range r = plan.chunk(k);
        for (auto i = r.begin; i < r.end; ++i) ++seen[i];
      }
    for (std::uint64_t i = 0; i < items; ++i) ASSERT_EQ(seen[i], 1) << "item " << i << " strategy " << int(s);
  }
}

TEST_P(Coverage, StaticBlockGivesContiguousBalancedRuns) {
  const auto [items, chunk, ranks] = GetParam();
  const ChunkPlan plan(items, chunk, Strategy::static_block, ranks);
  const auto owned = assign(plan, Strategy::static_block, ranks);
  std::size_t least = SIZE_MAX, most = 0;
  for (const auto& chunks : owned) {
    for (std::size_t i = 1; i < chunks.size(); ++i) ASSERT_EQ(chunks[i], chunks[i - 1] + 1);
    least = std::min(least, chunks.size());
    most = std::max(most, chunks.size());
  }
  EXPECT_LE(most - least, 1u);
}

TEST_P(Coverage, StaticCyclicDealsChunksRoundRobin) {
  const auto [items, chunk, ranks] = GetParam();
  const ChunkPlan plan(items, chunk, Strategy::static_cyclic, ranks);
  const auto owned = assign(plan, Strategy::static_cyclic, ranks);
  for (int r = 0; r < ranks; ++r)
    for (const auto k : owned[r]) ASSERT_EQ(k % ranks, static_cast<std::uint64_t>(r));
}

TEST_P(Coverage, GuidedChunksShrinkButNotBelowTheChunkSize) {
  const auto [items, chunk, ranks] = GetParam();
  const ChunkPlan plan(items, chunk, Strategy::guided, ranks);
  for (std::uint64_t k = 0; k < plan.count(); ++k) {
    if (k + 1 < plan.count()) EXPECT_GE(plan.chunk(k).size(), chunk) << "chunk " << k;
    if (k > 0) EXPECT_LE(plan.chunk(k).size(), plan.chunk(k - 1).size()) << "chunk " << k;
  }
  const std::uint64_t share = (items + ranks - 1) / ranks;
  EXPECT_EQ(plan.chunk(0).size(), std::min(items, std::max(chunk, share)));
}

INSTANTIATE_TEST_SUITE_P(Shapes, Coverage,
                         ::testing::Values(Shape{1, 1, 1}, Shape{1, 1, 4}, Shape{10, 10, 3},
                                           Shape{10, 3, 1}, Shape{10, 3, 4}, Shape{97, 5, 2},
                                           Shape{100, 7, 3}, Shape{64, 1, 64}, Shape{5, 1, 8},
                                           Shape{1000, 1, 7}, Shape{1000, 33, 5},
                                           Shape{4096, 16, 16}, Shape{12345, 100, 9}));

TEST(Plan, HugeRunsStayArithmetic) {
  const std::uint64_t items = 1'000'000'000'000;
  const ChunkPlan plan(items, 1'000'000, Strategy::dynamic, 1000);
  EXPECT_EQ(plan.count(), 1'000'000u);
  EXPECT_EQ(plan.chunk(999'999).end, items);
  StaticAssignment last(ChunkPlan(items, 1, Strategy::static_block, 3), Strategy::static_block, 2, 3);
  EXPECT_EQ(last.next(), std::optional<std::uint64_t>(666'666'666'666));
  const ChunkPlan guided(items, 1000, Strategy::guided, 64);
  EXPECT_EQ(guided.chunk(0).size(), items / 64);
  EXPECT_EQ(guided.chunk(guided.count() - 1).end, items);
  EXPECT_LT(guided.count(), 10'000u);
}

}  // namespace
}  // namespace hybridscope::sched
