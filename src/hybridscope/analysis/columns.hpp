#pragma once
// A lane's intervals reduced to pixel columns: what the plot draws and what the HTML report keeps
// per zoom level, so that neither grows with the number of intervals.
#include <cstdint>
#include <vector>

#include "hybridscope/timeline/reader.hpp"

namespace hybridscope::analysis {

// A time window cut into equal columns.
struct Window {
  std::int64_t begin = 0, end = 1;  // ns from the run's start
  int columns = 1;
  double column_ns() const { return double(end - begin) / columns; }
  int column_of(std::int64_t t) const;
};

// One column of a lane: the activity that filled most of it, and the row of the interval of that
// kind that covers most of it (what hovering the pixel shows).
struct Column {
  int kind = -1;          // -1: no interval in the column
  std::int64_t row = -1;
  double busy_ns = 0;     // time in items (work, io)
};

std::vector<Column> lane_columns(const timeline::Intervals& intervals, const timeline::Lane& lane, const Window& window);

}  // namespace hybridscope::analysis
