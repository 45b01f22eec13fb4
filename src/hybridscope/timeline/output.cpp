#include "hybridscope/timeline/output.hpp"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/file.hpp"
#include "hybridscope/mpi/session.hpp"

namespace hybridscope::timeline {

namespace {

OutputPlan plan_on_root(const std::optional<std::string>& requested, bool force) {
  OutputPlan plan;
  plan.path = requested ? *requested : default_name();
  const auto reject = [&](const std::string& why) {
    return InputError(fmt::format("output '{}': {} (accepted: {})", plan.path, why,
                                  force ? "a path in a writable directory"
                                        : "a new file in a writable directory, or --force to replace"));
  };
  if (plan.path.empty()) throw reject("empty path");
  const std::filesystem::path path(plan.path);
  if (!path.has_filename()) throw reject("names a directory");
  struct stat st {};
  if (::stat(plan.path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw reject("is a directory");
    if (!force) throw reject("exists");
  }
  const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  plan.partial = (dir / fmt::format(".{}.partial-{}", path.filename().string(), ::getpid())).string();
  // Prove now, before the run, that the directory takes a new file.
  const int fd = ::open(plan.partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw reject(fmt::format("cannot create a file in '{}': {}", dir.string(), std::strerror(errno)));
  ::close(fd);
  ::unlink(plan.partial.c_str());
  return plan;
}

}  // namespace

std::string default_name() {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const std::string stamp = fmt::format("{:%Y%m%dT%H%M%SZ}", now);
  if (const char* job = std::getenv("SLURM_JOB_ID")) {
    const char* step = std::getenv("SLURM_STEP_ID");
    return fmt::format("hybridscope-{}{}{}-{}.h5", job, step ? "." : "", step ? step : "", stamp);
  }
  return fmt::format("hybridscope-{}-{}.h5", stamp, ::getpid());
}

OutputPlan plan_output(MPI_Comm comm, const std::optional<std::string>& requested, bool force) {
  OutputPlan plan = mpi::on_root(comm, [&] { return plan_on_root(requested, force); });
  plan.path = mpi::bcast_string(comm, plan.path, 0);
  plan.partial = mpi::bcast_string(comm, plan.partial, 0);
  return plan;
}

void publish(MPI_Comm comm, OutputPlan& plan, bool force) {
  const auto move = [&] {
    // MPI-IO creates the file with mode 0666 less the umask; a umask of 0 must still not make a
    // timeline anyone on the cluster can change.
    struct stat st {};
    if (::stat(plan.partial.c_str(), &st) == 0 && (st.st_mode & S_IWOTH))
      ::chmod(plan.partial.c_str(), st.st_mode & ~S_IWOTH & 07777);
    // Without --force the move must not replace a file that appeared during the run.
    const int status = force ? (::rename(plan.partial.c_str(), plan.path.c_str()) == 0 ? 0 : errno)
                             : move_without_replacing(plan.partial, plan.path);
    if (status != 0)
      throw Error(fmt::format("cannot move the timeline to '{}': {}; it is kept as '{}'", plan.path,
                              std::strerror(status), plan.partial));
  };
  try {
    mpi::on_root(comm, move);
  } catch (const Error&) {
    plan.partial.clear();
    throw;
  }
}

void discard(MPI_Comm comm, const OutputPlan& plan) {
  if (mpi::rank(comm) == 0 && !plan.partial.empty()) ::unlink(plan.partial.c_str());
}

}  // namespace hybridscope::timeline
