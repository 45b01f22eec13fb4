#pragma once
// Rank-prefixed logging; only rank 0 speaks unless a message concerns one rank alone.
#include <fmt/format.h>

#include <string_view>

namespace hybridscope::log {

void set_rank(int rank);
int rank();

// Printed by rank 0 only, to stdout.
void info(std::string_view message);
// Printed by rank 0 only, to stderr, as "hybridscope: error: ...".
void error(std::string_view message);
// Printed by rank 0 only, to stderr, as "hybridscope: warning: ...".
void warning(std::string_view message);
// Printed by whichever rank calls it, to stderr, prefixed with its rank: for what one rank alone knows.
void rank_error(std::string_view message);
void rank_warning(std::string_view message);

}  // namespace hybridscope::log
