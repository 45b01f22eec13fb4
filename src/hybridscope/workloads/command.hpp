#pragma once
// Task farms (workload.kind = "command"): each item runs a shell command. docs/task-farms.md.
#include <memory>

#include "hybridscope/config/config.hpp"
#include "hybridscope/workloads/workloads.hpp"

namespace hybridscope::workloads {

// Reads the task file (when there is one) and prepares the output folder. Throws InputError when
// the task file no longer matches `where.items` or the folder cannot be written, or is not empty
// for a new run. Workers run each item through /bin/sh -c in its own process group, stdin from
// /dev/null, and wait for it; a stop sends SIGTERM, then SIGKILL after workload.kill_grace.
std::unique_ptr<Workload> make_command_workload(const WorkloadConfig& config, const RankContext& where);

}  // namespace hybridscope::workloads
