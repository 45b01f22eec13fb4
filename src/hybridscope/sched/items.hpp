#pragma once
// The items a run hands out: all of [0, total), or for a resumed run only those that did not finish
// successfully before. The chunk plan numbers them 0 .. size()-1; at() gives the item itself.
#include <cstdint>
#include <vector>

#include "hybridscope/sched/plan.hpp"

namespace hybridscope::sched {

// Sorted, with overlapping or touching ranges joined and empty ones dropped.
std::vector<Range> merge_ranges(std::vector<Range> ranges);

// The items of [0, total) outside `done` (any order, may overlap).
std::vector<Range> complement(std::vector<Range> done, std::uint64_t total);

std::uint64_t count_items(const std::vector<Range>& ranges);

class ItemSet {
public:
  static ItemSet all(std::uint64_t total) { return ItemSet({Range{0, total}}); }
  explicit ItemSet(std::vector<Range> ranges);

  std::uint64_t size() const { return starts_.empty() ? 0 : starts_.back(); }
  // The index-th item; index < size().
  std::uint64_t at(std::uint64_t index) const {
    if (ranges_.size() == 1) return ranges_.front().begin + index;
    return at_searching(index);
  }
  const std::vector<Range>& ranges() const { return ranges_; }

private:
  std::uint64_t at_searching(std::uint64_t index) const;

  std::vector<Range> ranges_;          // merged
  std::vector<std::uint64_t> starts_;  // starts_[k]: items in ranges before k+1 (prefix sums)
};

}  // namespace hybridscope::sched
