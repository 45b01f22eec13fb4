#pragma once
// How the items [0, items) are cut into chunks, and which chunks a rank owns under static strategies.
#include <cstdint>
#include <optional>
#include <vector>

#include "hybridscope/config/config.hpp"
#include "hybridscope/core/item_range.hpp"

namespace hybridscope::sched {

using Range = ItemRange;

class ChunkPlan {
public:
  // Uniform chunks of `chunk` items, except for guided: shrinking chunks of
  // max(chunk, ceil(remaining / ranks)) items, as OpenMP's guided schedule does for threads.
  ChunkPlan(std::uint64_t items, std::uint64_t chunk, Strategy strategy, int ranks);

  std::uint64_t items() const { return items_; }
  std::uint64_t count() const { return count_; }
  Range chunk(std::uint64_t index) const;

private:
  std::uint64_t items_;
  std::uint64_t chunk_;
  std::uint64_t count_;
  std::vector<std::uint64_t> bounds_;  // guided only: chunk k is [bounds_[k], bounds_[k+1])
};

// The chunks a rank takes under a static strategy, in order: next() walks them without any
// communication.
class StaticAssignment {
public:
  StaticAssignment(const ChunkPlan& plan, Strategy strategy, int rank, int ranks);
  std::optional<std::uint64_t> next();

private:
  std::uint64_t next_;
  std::uint64_t end_;
  std::uint64_t stride_;
};

// How many items `rank` runs under a static strategy (for progress: its share of the plan).
std::uint64_t static_items(const ChunkPlan& plan, Strategy strategy, int rank, int ranks);

}  // namespace hybridscope::sched
