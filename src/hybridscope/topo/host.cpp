#include "hybridscope/topo/host.hpp"

#include <fmt/format.h>
#include <hwloc.h>
#include <omp.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "hybridscope/core/error.hpp"

extern char** environ;

namespace hybridscope::topo {

namespace {
std::int32_t count(hwloc_topology_t topology, hwloc_obj_type_t type) {
  return std::max(0, hwloc_get_nbobjs_by_type(topology, type));
}
}  // namespace

HostTopology describe_host() {
  HostTopology host;
  hwloc_topology_t topology = nullptr;
  if (hwloc_topology_init(&topology) != 0) return host;
  // The whole machine, not only what this process may use: binding problems show as the difference.
  hwloc_topology_set_flags(topology, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
  if (hwloc_topology_load(topology) == 0) {
    host.packages = count(topology, HWLOC_OBJ_PACKAGE);
    host.cores = count(topology, HWLOC_OBJ_CORE);
    host.pus = count(topology, HWLOC_OBJ_PU);
    host.numa_nodes = count(topology, HWLOC_OBJ_NUMANODE);
  }
  hwloc_topology_destroy(topology);
  return host;
}

namespace {
using Bitmap = std::unique_ptr<hwloc_bitmap_s, decltype(&hwloc_bitmap_free)>;

Bitmap new_bitmap() { return {hwloc_bitmap_alloc(), &hwloc_bitmap_free}; }

std::string to_list(hwloc_const_bitmap_t set) {
  char* text = nullptr;
  if (hwloc_bitmap_list_asprintf(&text, set) < 0 || !text) return "";
  std::string out(text);
  std::free(text);
  return out;
}
}  // namespace

namespace {
// "N" or "N-M" with N <= M, N and M below kMaxCpu, joined by single commas: what Linux and hwloc
// print. hwloc's own parser is lenient (it reads "3-1" as empty and "1,,2" as {1, 2}).
constexpr long kMaxCpu = 1L << 20;

bool is_cpu_list(const std::string& text) {
  std::size_t at = 0;
  const auto number = [&](long& value) {
    const std::size_t start = at;
    value = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9' && at - start < 8) value = value * 10 + (text[at++] - '0');
    return at > start && value < kMaxCpu && (at == text.size() || text[at] == ',' || text[at] == '-');
  };
  do {
    long lo = 0, hi = 0;
    if (!number(lo)) return false;
    if (at < text.size() && text[at] == '-') {
      ++at;
      if (!number(hi) || hi < lo) return false;
    }
  } while (at < text.size() && text[at++] == ',' && at < text.size());
  return at == text.size() && text.back() != ',';
}
}  // namespace

std::vector<int> parse_cpu_list(const std::string& text) {
  auto set = new_bitmap();
  if (!is_cpu_list(text) || hwloc_bitmap_list_sscanf(set.get(), text.c_str()) != 0)
    throw InputError(fmt::format("CPU list '{}' (accepted: CPU numbers and ranges, e.g. 0-3,8)", text));
  std::vector<int> cpus;
  for (int cpu = hwloc_bitmap_first(set.get()); cpu >= 0; cpu = hwloc_bitmap_next(set.get(), cpu)) cpus.push_back(cpu);
  return cpus;
}

std::string format_cpu_list(const std::vector<int>& cpus) {
  auto set = new_bitmap();
  for (int cpu : cpus)
    if (cpu >= 0) hwloc_bitmap_set(set.get(), static_cast<unsigned>(cpu));
  return to_list(set.get());
}

std::string allowed_cpus() {
  auto set = new_bitmap();
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof mask, &mask) != 0) return "";
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &mask)) hwloc_bitmap_set(set.get(), static_cast<unsigned>(c));
  return to_list(set.get());
}

std::string openmp_place() {
  const int place = omp_get_place_num();
  if (place < 0) return "";
  std::vector<int> cpus(std::max(0, omp_get_place_num_procs(place)));
  omp_get_place_proc_ids(place, cpus.data());
  return fmt::format("{}: {}", place, format_cpu_list(cpus));
}

std::int64_t os_thread_id() { return static_cast<std::int64_t>(::syscall(SYS_gettid)); }

std::vector<std::pair<std::string, std::string>> environment(const std::vector<std::string>& prefixes) {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view name = text.substr(0, equals);
    for (const auto& prefix : prefixes)
      if (name.starts_with(prefix)) {
        out.emplace_back(std::string(name), std::string(text.substr(equals + 1)));
        break;
      }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace hybridscope::topo
