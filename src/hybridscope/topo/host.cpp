#include "hybridscope/topo/host.hpp"

#include <fmt/format.h>
#include <hwloc.h>
#include <omp.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

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

std::string cpu_ranges(const std::vector<int>& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    out += fmt::format("{}{}", out.empty() ? "" : ",", cpus[i]);
    if (j > i) out += fmt::format("-{}", cpus[j]);
    i = j + 1;
  }
  return out;
}

std::string allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return "";
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpu_ranges(cpus);
}

std::string openmp_place() {
  const int place = omp_get_place_num();
  if (place < 0) return "";
  std::vector<int> cpus(std::max(0, omp_get_place_num_procs(place)));
  omp_get_place_proc_ids(place, cpus.data());
  std::sort(cpus.begin(), cpus.end());
  return fmt::format("{}: {}", place, cpu_ranges(cpus));
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
