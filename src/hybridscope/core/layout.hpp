#pragma once
// A run's layout: how many MPI ranks and how many OpenMP threads each. The one value type for it,
// used by runs, timelines, reports, studies and advice.
#include <string>
#include <string_view>

namespace hybridscope {

struct Layout {
  int ranks = 1;
  int threads = 1;  // per rank
  int workers() const { return ranks * threads; }
  bool operator==(const Layout&) const = default;
};

// "threads" (one rank), "processes" (one thread per rank) or "hybrid".
std::string_view kind(const Layout& layout);

// "2 ranks x 1 thread".
std::string describe(const Layout& layout);

}  // namespace hybridscope
