#pragma once
#include <cstdint>

namespace hybridscope {

// The items [begin, end).
struct ItemRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint64_t size() const { return end - begin; }
  bool operator==(const ItemRange&) const = default;
};

}  // namespace hybridscope
