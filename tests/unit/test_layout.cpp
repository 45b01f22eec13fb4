// hybridscope::Layout: ranks x threads per rank, its kind and its description.
#include <gtest/gtest.h>

#include <string>

#include "hybridscope/core/layout.hpp"

namespace hybridscope {
namespace {

TEST(Layout, Kind) {
  EXPECT_EQ(kind(Layout{1, 1}), "threads");  // one rank is threads, however many
  EXPECT_EQ(kind(Layout{1, 8}), "threads");
  EXPECT_EQ(kind(Layout{2, 1}), "processes");
  EXPECT_EQ(kind(Layout{64, 1}), "processes");
  EXPECT_EQ(kind(Layout{2, 2}), "hybrid");
  EXPECT_EQ(kind(Layout{4, 3}), "hybrid");
  EXPECT_EQ(kind(Layout{}), "threads");  // the default is 1 x 1
}

TEST(Layout, Describe) {
  EXPECT_EQ(describe(Layout{1, 1}), "1 rank x 1 thread");
  EXPECT_EQ(describe(Layout{2, 1}), "2 ranks x 1 thread");
  EXPECT_EQ(describe(Layout{1, 3}), "1 rank x 3 threads");
  EXPECT_EQ(describe(Layout{4, 8}), "4 ranks x 8 threads");
  EXPECT_EQ(describe(Layout{}), "1 rank x 1 thread");
}

TEST(Layout, WorkersAndEquality) {
  EXPECT_EQ((Layout{4, 8}.workers()), 32);
  EXPECT_EQ(Layout{}.workers(), 1);
  EXPECT_EQ((Layout{2, 3}), (Layout{2, 3}));
  EXPECT_NE((Layout{2, 3}), (Layout{3, 2}));
  EXPECT_NE((Layout{2, 3}), (Layout{2, 4}));
}

}  // namespace
}  // namespace hybridscope
