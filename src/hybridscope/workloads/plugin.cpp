// Plug-in kernels: a shared library loaded with dlopen on every rank, called through the C contract
// of include/hybridscope/kernel.h.
#include "hybridscope/workloads/plugin.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <mutex>
#include <string>

#define HYBRIDSCOPE_KERNEL_NO_ABI_MARK
#include "hybridscope/kernel.h"

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/stop.hpp"

namespace hybridscope::workloads {

namespace {

using SetupFn = int (*)(const hybridscope_kernel_context*, void**);
using ItemFn = std::uint64_t (*)(void*, std::int64_t);
using TeardownFn = void (*)(void*);

int stopped_for_kernel() { return stop::requested() ? 1 : 0; }

// What context->driver points to: the failure a thread's kernel reported.
struct FailureSlot {
  std::string message;
  bool failed = false;
};

void fail_for_kernel(const hybridscope_kernel_context* context, const char* message) {
  if (!context || !context->driver) return;
  auto* slot = static_cast<FailureSlot*>(context->driver);
  if (slot->failed) return;
  slot->failed = true;
  slot->message = message && *message ? message : "(no message)";
}

class Library {
public:
  explicit Library(const std::string& path) : path_(path) {
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
      const char* why = ::dlerror();
      throw InputError(fmt::format("plugin: cannot load workload.library '{}': {} (accepted: a shared library "
                                   "built against include/hybridscope/kernel.h)", path, why ? why : "?"));
    }
  }
  ~Library() { ::dlclose(handle_); }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  void* find(const char* name) const {
    ::dlerror();
    return ::dlsym(handle_, name);
  }

private:
  std::string path_;
  void* handle_ = nullptr;
};

class PluginWorker final : public Worker {
public:
  PluginWorker(ItemFn item, TeardownFn teardown, const hybridscope_kernel_context& base, SetupFn setup,
               const std::string& library)
      : item_(item), teardown_(teardown), context_(base) {
    context_.driver = &slot_;
    const int code = setup(&context_, &state_);
    if (code != 0 || slot_.failed)
      throw Error(fmt::format("plugin {}: hybridscope_kernel_setup failed on thread {} (returned {}): {}",
                              library, context_.thread, code,
                              slot_.failed ? slot_.message : "no message (call context->fail)"));
    ready_ = true;
    library_ = library;
  }
  ~PluginWorker() override {
    if (ready_ && teardown_) teardown_(state_);
  }

  std::uint64_t run(std::uint64_t, std::uint64_t item, trace::ThreadLog&) override {
    const std::uint64_t value = item_(state_, static_cast<std::int64_t>(item));
    if (slot_.failed) [[unlikely]]
      throw Error(fmt::format("plugin {}: item {} failed on thread {}: {}", library_, item, context_.thread,
                              slot_.message));
    // A kernel that saw stopped() may have returned early with a partial value: never count it.
    if (stop::requested()) [[unlikely]]
      throw Abandoned{};
    return value;
  }

private:
  ItemFn item_;
  TeardownFn teardown_;
  hybridscope_kernel_context context_;
  FailureSlot slot_;
  void* state_ = nullptr;
  bool ready_ = false;
  std::string library_;
};

class PluginWorkload final : public Workload {
public:
  PluginWorkload(const WorkloadConfig& config, const RankContext& where)
      : library_(config.library), path_(config.library), args_(config.args),
        crash_(where.rank, fmt::format("in the plug-in kernel {}", config.library)) {
    setup_ = reinterpret_cast<SetupFn>(library_.find("hybridscope_kernel_setup"));
    item_ = reinterpret_cast<ItemFn>(library_.find("hybridscope_kernel_item"));
    if (!setup_ || !item_)
      throw InputError(fmt::format("plugin: '{}' is not a hybridscope plug-in: it does not define {} (accepted: a "
                                   "library defining hybridscope_kernel_setup and hybridscope_kernel_item, see "
                                   "include/hybridscope/kernel.h)", path_,
                                   !setup_ ? "hybridscope_kernel_setup" : "hybridscope_kernel_item"));
    // No mark: built before the mark existed, ABI 1.
    int abi = 1;
    if (const auto* mark = static_cast<const int*>(library_.find("hybridscope_kernel_abi"))) abi = *mark;
    if (abi != HYBRIDSCOPE_KERNEL_ABI)
      throw InputError(fmt::format("plugin: '{}' was built for kernel ABI {}, this hybridscope has ABI {} "
                                   "(accepted: a plug-in rebuilt against this hybridscope's "
                                   "include/hybridscope/kernel.h)", path_, abi, HYBRIDSCOPE_KERNEL_ABI));
    teardown_ = reinterpret_cast<TeardownFn>(library_.find("hybridscope_kernel_teardown"));
    rank_teardown_ = reinterpret_cast<TeardownFn>(library_.find("hybridscope_kernel_rank_teardown"));
    const auto rank_setup = reinterpret_cast<SetupFn>(library_.find("hybridscope_kernel_rank_setup"));

    base_.abi_version = HYBRIDSCOPE_KERNEL_ABI;
    base_.rank = where.rank;
    base_.ranks = where.ranks;
    base_.thread = -1;
    base_.threads = -1;
    base_.args = args_.c_str();
    base_.stopped = stopped_for_kernel;
    base_.fail = fail_for_kernel;
    base_.driver = nullptr;
    base_.rank_state = nullptr;
    if (rank_setup) {
      FailureSlot slot;
      hybridscope_kernel_context context = base_;
      context.driver = &slot;
      const int code = rank_setup(&context, &base_.rank_state);
      if (code != 0 || slot.failed)
        throw Error(fmt::format("plugin {}: hybridscope_kernel_rank_setup failed (returned {}): {}", path_, code,
                                slot.failed ? slot.message : "no message (call context->fail)"));
      rank_ready_ = true;
    }
  }
  ~PluginWorkload() override {
    if (rank_ready_ && rank_teardown_) rank_teardown_(base_.rank_state);
  }

  // On each OpenMP thread of the rank.
  std::unique_ptr<Worker> make_worker() override {
    hybridscope_kernel_context context = base_;
    context.thread = omp_get_thread_num();
    context.threads = omp_get_num_threads();
    return std::make_unique<PluginWorker>(item_, teardown_, context, setup_, path_);
  }

private:
  Library library_;
  std::string path_;
  std::string args_;
  CrashReporter crash_;
  SetupFn setup_ = nullptr;
  ItemFn item_ = nullptr;
  TeardownFn teardown_ = nullptr;
  TeardownFn rank_teardown_ = nullptr;
  hybridscope_kernel_context base_{};
  bool rank_ready_ = false;
};

// --- crash reporting ----------------------------------------------------------------------------

constexpr int kCrashSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
constexpr std::size_t kCrashSignalCount = sizeof kCrashSignals / sizeof kCrashSignals[0];
std::mutex g_crash_mutex;
int g_crash_users = 0;
struct sigaction g_previous[kCrashSignalCount];
char g_crash_line[512];  // "hybridscope[rank R]: error: in ..."
std::size_t g_crash_length = 0;

const char* crash_name(int signal) {
  switch (signal) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    default: return "a signal";
  }
}

// Async-signal-safe: one write(2), then the default action (a core dump, if enabled), so that the
// process ends with the signal and mpiexec ends the other ranks.
void on_crash(int signal, siginfo_t*, void*) {
  char line[640];
  std::size_t n = 0;
  for (std::size_t i = 0; i < g_crash_length; ++i) line[n++] = g_crash_line[i];
  for (const char* p = " crashed with "; *p; ++p) line[n++] = *p;
  for (const char* p = crash_name(signal); *p; ++p) line[n++] = *p;
  line[n++] = '\n';
  [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line, n);
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  sigaction(signal, &fallback, nullptr);
  ::raise(signal);
}

}  // namespace

CrashReporter::CrashReporter(int rank, const std::string& what) {
  std::lock_guard lock(g_crash_mutex);
  if (g_crash_users++ > 0) return;
  const auto line = fmt::format("hybridscope[rank {}]: error: {}", rank, what);
  g_crash_length = std::min(line.size(), sizeof g_crash_line - 1);
  std::memcpy(g_crash_line, line.data(), g_crash_length);
  struct sigaction action {};
  action.sa_sigaction = on_crash;
  action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (std::size_t i = 0; i < kCrashSignalCount; ++i) sigaction(kCrashSignals[i], &action, &g_previous[i]);
}

CrashReporter::~CrashReporter() {
  std::lock_guard lock(g_crash_mutex);
  if (--g_crash_users > 0) return;
  for (std::size_t i = 0; i < kCrashSignalCount; ++i) sigaction(kCrashSignals[i], &g_previous[i], nullptr);
}

std::unique_ptr<Workload> make_plugin_workload(const WorkloadConfig& config, const RankContext& where) {
  return std::make_unique<PluginWorkload>(config, where);
}

}  // namespace hybridscope::workloads
