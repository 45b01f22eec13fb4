// The items a (resumed) run hands out: ranges merged, their complement, and the index -> item map.
#include <gtest/gtest.h>

#include <vector>

#include "hybridscope/sched/items.hpp"

namespace hybridscope::sched {
namespace {

TEST(MergeRanges, SortsJoinsOverlappingAndTouchingDropsEmpty) {
  EXPECT_EQ(merge_ranges({{5, 7}, {0, 2}, {2, 3}, {6, 9}, {4, 4}, {10, 11}}),
            (std::vector<Range>{{0, 3}, {5, 9}, {10, 11}}));
  EXPECT_TRUE(merge_ranges({}).empty());
}

TEST(Complement, TheItemsNotDone) {
  EXPECT_EQ(complement({}, 5), (std::vector<Range>{{0, 5}}));
  EXPECT_EQ(complement({{0, 5}}, 5), (std::vector<Range>{}));
  EXPECT_EQ(complement({{1, 2}, {3, 4}, {2, 3}}, 6), (std::vector<Range>{{0, 1}, {4, 6}}));
  EXPECT_EQ(complement({{4, 9}}, 6), (std::vector<Range>{{0, 4}}));
  EXPECT_EQ(count_items(complement({{1, 3}, {7, 8}}, 10)), 7u);
}

TEST(ItemSet, IndexToItemAcrossRanges) {
  const ItemSet all = ItemSet::all(4);
  EXPECT_EQ(all.size(), 4u);
  EXPECT_EQ(all.at(3), 3u);
  const ItemSet some({{10, 12}, {2, 3}, {20, 23}});
  ASSERT_EQ(some.size(), 6u);
  std::vector<std::uint64_t> items;
  for (std::uint64_t i = 0; i < some.size(); ++i) items.push_back(some.at(i));
  EXPECT_EQ(items, (std::vector<std::uint64_t>{2, 10, 11, 20, 21, 22}));
  EXPECT_EQ(ItemSet({}).size(), 0u);
}

}  // namespace
}  // namespace hybridscope::sched
