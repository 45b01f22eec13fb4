#pragma once
// User kernels: plug-in libraries (include/hybridscope/kernel.h) and Python functions. docs/kernels.md.
#include <memory>

#include "hybridscope/config/config.hpp"
#include "hybridscope/workloads/workloads.hpp"

namespace hybridscope::workloads {

// Loads workload.library with dlopen, checks the contract, runs the optional per-rank setup. Throws
// InputError (exit 2) for a library that is missing, is no plug-in or was built for another ABI, and
// Error (exit 1) when the plug-in's rank setup fails. Workers throw Error when the per-thread setup
// fails or an item reports a failure.
std::unique_ptr<Workload> make_plugin_workload(const WorkloadConfig& config, const RankContext& where);

// Embeds CPython (one interpreter per process) and imports workload.file or workload.module. Throws
// InputError (exit 2) when this build has no Python, or the file, module or function cannot be
// loaded (syntax errors included); workers throw Error (exit 1) when work(item) raises.
std::unique_ptr<Workload> make_python_workload(const WorkloadConfig& config, const RankContext& where);

// Whether this build embeds Python (CMake found Python3 3.11 Development.Embed).
bool python_available() noexcept;

// While alive, a crash (SIGSEGV, SIGBUS, SIGFPE, SIGILL) in a user kernel writes one line naming the
// rank and `what`, then ends the process with the signal as before (mpiexec ends the other ranks).
class CrashReporter {
public:
  CrashReporter(int rank, const std::string& what);
  ~CrashReporter();
  CrashReporter(const CrashReporter&) = delete;
  CrashReporter& operator=(const CrashReporter&) = delete;
};

}  // namespace hybridscope::workloads
