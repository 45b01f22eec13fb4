// The chart module: ticks that stay distinct and fit, text measurement, shortening.
#include <gtest/gtest.h>

#include <set>

#include "hybridscope/analysis/chart.hpp"

namespace chart = hybridscope::analysis::chart;

namespace {

std::set<std::string> labels(const std::vector<chart::Tick>& ticks) {
  std::set<std::string> out;
  for (const auto& t : ticks) out.insert(t.label);
  return out;
}

TEST(Chart, NiceStepsAreOneTwoOrFiveTimesAPowerOfTen) {
  EXPECT_DOUBLE_EQ(chart::nice_step(1.0, 5), 0.2);
  EXPECT_DOUBLE_EQ(chart::nice_step(0.8, 3), 0.5);
  EXPECT_DOUBLE_EQ(chart::nice_step(1e-7, 4), 5e-8);
}

TEST(Chart, TimeTicksStayDistinctAtAnyZoom) {
  for (const auto& [lo, hi] : std::vector<std::pair<double, double>>{{0, 1}, {0.3000001, 0.3000002}, {1234.5, 1234.5001}}) {
    const auto ticks = chart::time_ticks(lo, hi, 600);
    ASSERT_GE(ticks.size(), 2u) << lo;
    EXPECT_EQ(labels(ticks).size(), ticks.size()) << ticks.front().label;
  }
}

TEST(Chart, TicksThinOutUntilTheirLabelsFit) {
  const chart::Scale s{0, 1000, 0, 80};
  const auto ticks = chart::linear_ticks(0, 1000, 80, chart::number_label);
  for (std::size_t i = 1; i < ticks.size(); ++i)
    EXPECT_GE(s(ticks[i].value) - s(ticks[i - 1].value),
              (chart::text_width(ticks[i].label) + chart::text_width(ticks[i - 1].label)) / 2);
  EXPECT_EQ(chart::log2_ticks(1, 64, 400).size(), 7u);
  EXPECT_LT(chart::log2_ticks(1, 1 << 20, 60).size(), 21u);
}

TEST(Chart, ShortenedTextFitsAndSaysSo) {
  EXPECT_EQ(chart::shorten("1x4", 100), "1x4");
  const auto cut = chart::shorten("a-very-long-file-name-of-a-timeline", 80);
  EXPECT_LE(chart::text_width(cut), 80);
  EXPECT_TRUE(cut.ends_with("…"));
  EXPECT_GT(chart::text_width("WWW", 11, true), chart::text_width("WWW"));
}

TEST(Chart, LayoutKindsHaveTheirOwnColours) {
  std::set<std::string_view> colours;
  for (auto k : chart::kLayoutKinds) colours.insert(chart::layout_colour(k));
  EXPECT_EQ(colours.size(), std::size(chart::kLayoutKinds));
}

}  // namespace
