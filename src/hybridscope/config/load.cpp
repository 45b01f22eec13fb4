#include "hybridscope/config/load.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hybridscope/config/tasks.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/core/log.hpp"
#include "hybridscope/mpi/session.hpp"

namespace hybridscope {

namespace {
constexpr off_t kMaxInputBytes = 1 << 20;

LoadedInput load_on_root(const std::optional<std::string>& path,
                         const std::vector<std::string>& assignments) {
  LoadedInput in;
  in.origin = path ? *path : std::string(kDefaultOrigin);
  in.text = path ? read_input_file(*path) : std::string(kDefaultInput);
  std::vector<Override> overrides;
  for (const auto& a : assignments) overrides.push_back(parse_override(a));
  in.config = parse_config(in.text, in.origin, overrides);
  std::vector<std::string> warnings;
  in.tasks_digest = resolve_tasks(in.config, in.origin, warnings);
  for (const auto& w : warnings) log::warning(w);
  in.resolved = to_toml(in.config);
  return in;
}
}  // namespace

std::string read_input_file(const std::string& path) {
  const auto reject = [&](std::string_view why) {
    return InputError(fmt::format("{}: {} (accepted: a readable TOML input file of at most {} bytes)",
                                  path, why, kMaxInputBytes));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw reject(fmt::format("cannot open: {}", std::strerror(errno)));
  struct stat st {};
  std::string text;
  std::string failure;
  if (::fstat(fd, &st) != 0) failure = fmt::format("cannot stat: {}", std::strerror(errno));
  else if (S_ISDIR(st.st_mode)) failure = "is a directory";
  else if (!S_ISREG(st.st_mode)) failure = "is not a regular file";
  else if (st.st_size == 0) failure = "is empty";
  else if (st.st_size > kMaxInputBytes) failure = fmt::format("is too large ({} bytes)", st.st_size);
  else {
    text.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < text.size()) {
      const auto got = ::read(fd, text.data() + done, text.size() - done);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        failure = fmt::format("cannot read: {}", got < 0 ? std::strerror(errno) : "file shrank");
        break;
      }
      done += static_cast<std::size_t>(got);
    }
  }
  ::close(fd);
  if (!failure.empty()) throw reject(failure);
  if (text.find('\0') != std::string::npos) throw reject("is binary (contains NUL bytes)");
  return text;
}

LoadedInput load_input(MPI_Comm comm, const std::optional<std::string>& path,
                       const std::vector<std::string>& assignments) {
  LoadedInput in = mpi::on_root(comm, [&] { return load_on_root(path, assignments); });
  in.origin = mpi::bcast_string(comm, in.origin, 0);
  in.text = mpi::bcast_string(comm, in.text, 0);
  in.resolved = mpi::bcast_string(comm, in.resolved, 0);
  in.tasks_digest = mpi::bcast_string(comm, in.tasks_digest, 0);
  if (mpi::rank(comm) != 0) in.config = parse_config(in.resolved, "resolved input from rank 0");
  return in;
}

}  // namespace hybridscope
