#include "hybridscope/sched/items.hpp"

#include <algorithm>

namespace hybridscope::sched {

std::vector<Range> merge_ranges(std::vector<Range> ranges) {
  std::erase_if(ranges, [](const Range& r) { return r.end <= r.begin; });
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  std::vector<Range> out;
  for (const auto& r : ranges) {
    if (!out.empty() && r.begin <= out.back().end) out.back().end = std::max(out.back().end, r.end);
    else out.push_back(r);
  }
  return out;
}

std::vector<Range> complement(std::vector<Range> done, std::uint64_t total) {
  std::vector<Range> out;
  std::uint64_t next = 0;
  for (const auto& r : merge_ranges(std::move(done))) {
    if (r.begin >= total) break;
    if (r.begin > next) out.push_back({next, r.begin});
    next = std::max(next, r.end);
  }
  if (next < total) out.push_back({next, total});
  return out;
}

std::uint64_t count_items(const std::vector<Range>& ranges) {
  std::uint64_t n = 0;
  for (const auto& r : ranges) n += r.size();
  return n;
}

ItemSet::ItemSet(std::vector<Range> ranges) : ranges_(merge_ranges(std::move(ranges))) {
  std::uint64_t n = 0;
  for (const auto& r : ranges_) starts_.push_back(n += r.size());
}

std::uint64_t ItemSet::at_searching(std::uint64_t index) const {
  // The first range whose cumulative count exceeds index.
  const auto k = static_cast<std::size_t>(std::upper_bound(starts_.begin(), starts_.end(), index) - starts_.begin());
  const std::uint64_t before = k == 0 ? 0 : starts_[k - 1];
  return ranges_[k].begin + (index - before);
}

}  // namespace hybridscope::sched
