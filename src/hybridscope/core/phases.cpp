#include "hybridscope/core/phases.hpp"

#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace hybridscope::phases {

namespace {

struct Mark {
  const char* name;
  double at;  // seconds since boot
};

double since_boot() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// The process's creation, from /proc/self/stat (field 22, clock ticks since boot).
double process_start() {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; the fields after it follow its closing parenthesis.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {}
  return double(std::strtoull(field.c_str(), nullptr, 10)) / double(::sysconf(_SC_CLK_TCK));
}

std::vector<Mark>& marks() {
  static std::vector<Mark> all{{"start", process_start()}};
  return all;
}

}  // namespace

// Only when asked for: tests and benchmarks run many runs in one process.
void begin(const char* name) {
  if (wanted()) marks().push_back({name, since_boot()});
}

std::string summary() {
  const auto& all = marks();
  std::string out;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const double end = i + 1 < all.size() ? all[i + 1].at : since_boot();
    out += fmt::format("{}{} {:.3f} s", i ? ", " : "", all[i].name, end - all[i].at);
  }
  return out;
}

bool wanted() {
  static const bool asked = [] {
    const char* value = std::getenv("HYBRIDSCOPE_PHASES");
    return value && *value && std::string_view(value) != "0";
  }();
  return asked;
}

}  // namespace hybridscope::phases
