#include "hybridscope/sched/plan.hpp"

namespace hybridscope::sched {

namespace {
std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return a / b + (a % b != 0); }
}  // namespace

ChunkPlan::ChunkPlan(std::uint64_t items, std::uint64_t chunk, Strategy strategy, int ranks)
    : items_(items), chunk_(chunk), count_(ceil_div(items, chunk)) {
  if (strategy != Strategy::guided) return;
  // The list stays short: about ranks * ln(items / (ranks * chunk)) + ranks entries.
  bounds_.push_back(0);
  for (std::uint64_t begin = 0; begin < items;) {
    const std::uint64_t remaining = items - begin;
    const std::uint64_t size =
        std::min(remaining, std::max(chunk, ceil_div(remaining, static_cast<std::uint64_t>(ranks))));
    begin += size;
    bounds_.push_back(begin);
  }
  count_ = bounds_.size() - 1;
}

Range ChunkPlan::chunk(std::uint64_t index) const {
  if (!bounds_.empty()) return {bounds_[index], bounds_[index + 1]};
  const std::uint64_t begin = index * chunk_;
  return {begin, std::min(items_, begin + chunk_)};
}

StaticAssignment::StaticAssignment(const ChunkPlan& plan, Strategy strategy, int rank, int ranks) {
  const auto r = static_cast<std::uint64_t>(rank);
  const auto p = static_cast<std::uint64_t>(ranks);
  if (strategy == Strategy::static_cyclic) {
    next_ = r;
    end_ = plan.count();
    stride_ = p;
    return;
  }
  // Contiguous blocks whose sizes differ by at most one chunk.
  __extension__ using u128 = unsigned __int128;
  next_ = static_cast<std::uint64_t>(u128(plan.count()) * r / p);
  end_ = static_cast<std::uint64_t>(u128(plan.count()) * (r + 1) / p);
  stride_ = 1;
}

std::uint64_t static_items(const ChunkPlan& plan, Strategy strategy, int rank, int ranks) {
  const auto count = plan.count(), r = static_cast<std::uint64_t>(rank), p = static_cast<std::uint64_t>(ranks);
  if (count == 0) return 0;
  if (strategy == Strategy::static_block) {
    __extension__ using u128 = unsigned __int128;
    const auto first = static_cast<std::uint64_t>(u128(count) * r / p);
    const auto end = static_cast<std::uint64_t>(u128(count) * (r + 1) / p);
    return first < end ? plan.chunk(end - 1).end - plan.chunk(first).begin : 0;
  }
  // Cyclic: every chunk is full but the last one, which may be short.
  if (r >= count) return 0;
  const auto chunks = (count - r - 1) / p + 1;
  const auto full = plan.chunk(0).size();
  const bool owns_last = (count - 1) % p == r;
  return chunks * full - (owns_last ? full - plan.chunk(count - 1).size() : 0);
}

std::optional<std::uint64_t> StaticAssignment::next() {
  if (next_ >= end_) return std::nullopt;
  const auto index = next_;
  next_ += stride_;
  return index;
}

}  // namespace hybridscope::sched
