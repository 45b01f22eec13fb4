#include "hybridscope/core/log.hpp"

#include <cstdio>

namespace hybridscope::log {
namespace {
int g_rank = 0;

void emit(std::FILE* stream, std::string_view text) {
  // One write per line so that lines from several ranks do not interleave mid-line.
  std::string line(text);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stream);
  std::fflush(stream);
}
}  // namespace

void set_rank(int rank) { g_rank = rank; }
int rank() { return g_rank; }

void info(std::string_view message) {
  if (g_rank == 0) emit(stdout, message);
}

void error(std::string_view message) {
  if (g_rank == 0) emit(stderr, fmt::format("hybridscope: error: {}", message));
}

void rank_error(std::string_view message) {
  emit(stderr, fmt::format("hybridscope[rank {}]: error: {}", g_rank, message));
}

void rank_warning(std::string_view message) {
  emit(stderr, fmt::format("hybridscope[rank {}]: warning: {}", g_rank, message));
}

void warning(std::string_view message) {
  if (g_rank == 0) emit(stderr, fmt::format("hybridscope: warning: {}", message));
}

}  // namespace hybridscope::log
