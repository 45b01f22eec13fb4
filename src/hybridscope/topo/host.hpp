#pragma once
// Where things run: the host's hardware (via hwloc), CPU masks, OpenMP places and the environment
// variables that decide placement.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hybridscope::topo {

struct HostTopology {
  std::int32_t packages = 0;
  std::int32_t cores = 0;
  std::int32_t pus = 0;  // hardware threads
  std::int32_t numa_nodes = 0;
};

// The hardware of this host; zeros if hwloc cannot read it.
HostTopology describe_host();

// "0-3,8,10-11": the CPUs the calling thread may run on.
std::string allowed_cpus();
// "2: 4,5" (place number: its CPUs) for the calling OpenMP thread, or "" without OMP_PLACES.
std::string openmp_place();
std::int64_t os_thread_id();

// Variables whose names start with one of `prefixes`, sorted by name.
std::vector<std::pair<std::string, std::string>> environment(const std::vector<std::string>& prefixes);

// CPU lists as Linux and hwloc write them ("0-3,8,10-11"), parsed and printed by hwloc's bitmaps.
// parse_cpu_list throws InputError naming the text when it is not such a list.
std::vector<int> parse_cpu_list(const std::string& text);
std::string format_cpu_list(const std::vector<int>& cpus);

}  // namespace hybridscope::topo
