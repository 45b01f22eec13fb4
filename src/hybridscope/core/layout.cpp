#include "hybridscope/core/layout.hpp"

#include <fmt/format.h>

namespace hybridscope {

std::string_view kind(const Layout& layout) {
  if (layout.ranks == 1) return "threads";
  if (layout.threads == 1) return "processes";
  return "hybrid";
}

std::string describe(const Layout& layout) {
  return fmt::format("{} rank{} x {} thread{}", layout.ranks, layout.ranks == 1 ? "" : "s", layout.threads,
                     layout.threads == 1 ? "" : "s");
}

}  // namespace hybridscope
