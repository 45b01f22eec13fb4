#include "hybridscope/mpi/session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <thread>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/log.hpp"

namespace hybridscope::mpi {

Session::Session(int& argc, char**& argv, int required_level) {
  MPI_Init_thread(&argc, &argv, required_level, &provided_);
}

Session::~Session() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void throw_error(const std::string& message, int exit_code) {
  if (exit_code == static_cast<int>(ExitCode::bad_input)) throw InputError(message);
  throw Error(message, static_cast<ExitCode>(exit_code));
}

std::mutex& helper_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::string thread_level_name(int level) {
  switch (level) {
    case MPI_THREAD_SINGLE: return "MPI_THREAD_SINGLE";
    case MPI_THREAD_FUNNELED: return "MPI_THREAD_FUNNELED";
    case MPI_THREAD_SERIALIZED: return "MPI_THREAD_SERIALIZED";
    case MPI_THREAD_MULTIPLE: return "MPI_THREAD_MULTIPLE";
    default: return fmt::format("thread level {}", level);
  }
}

int rank(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}

int size(MPI_Comm comm) {
  int s = 0;
  MPI_Comm_size(comm, &s);
  return s;
}

std::string bcast_string(MPI_Comm comm, const std::string& value, int root) {
  std::uint64_t length = value.size();
  MPI_Bcast(&length, 1, MPI_UINT64_T, root, comm);
  std::string out = rank(comm) == root ? value : std::string(length, '\0');
  // Broadcast in pieces: MPI counts are int.
  for (std::uint64_t offset = 0; offset < length; offset += INT_MAX) {
    const auto piece = static_cast<int>(std::min<std::uint64_t>(INT_MAX, length - offset));
    MPI_Bcast(out.data() + offset, piece, MPI_CHAR, root, comm);
  }
  return out;
}

std::string error_string(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, static_cast<std::size_t>(length));
}

std::vector<std::uint64_t> bcast_values(MPI_Comm comm, std::vector<std::uint64_t> values, int root) {
  int count = static_cast<int>(values.size());
  MPI_Bcast(&count, 1, MPI_INT, root, comm);
  values.resize(static_cast<std::size_t>(count));
  MPI_Bcast(values.data(), count, MPI_UINT64_T, root, comm);
  return values;
}

namespace {
// A limit that one rank meets alone where the others already wait in a collective: nothing can tell
// them but the end of the job.
[[noreturn]] void abort_job(MPI_Comm comm, const std::string& why) {
  log::rank_error(why);
  MPI_Abort(comm, static_cast<int>(ExitCode::failure));
  std::abort();
}
}  // namespace

std::vector<char> gather_bytes(MPI_Comm comm, const std::vector<char>& bytes) {
  if (bytes.size() > INT_MAX) abort_job(comm, "cannot gather more than 2 GiB from one rank");
  const int count = static_cast<int>(bytes.size());
  std::vector<int> counts(rank(comm) == 0 ? static_cast<std::size_t>(size(comm)) : 0);
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
  std::vector<int> offsets(counts.size());
  std::uint64_t total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    if (total > INT_MAX) abort_job(comm, "cannot gather more than 2 GiB on one rank");
    offsets[r] = static_cast<int>(total);
    total += static_cast<std::uint64_t>(counts[r]);
  }
  std::vector<char> all(total);
  MPI_Gatherv(bytes.data(), count, MPI_BYTE, all.data(), counts.data(), offsets.data(), MPI_BYTE, 0, comm);
  return all;
}

std::vector<std::uint64_t> gather_values(MPI_Comm comm, const std::vector<std::uint64_t>& values) {
  const auto* p = reinterpret_cast<const char*>(values.data());
  const auto bytes = gather_bytes(comm, std::vector<char>(p, p + values.size() * sizeof(std::uint64_t)));
  std::vector<std::uint64_t> all(bytes.size() / sizeof(std::uint64_t));
  if (!all.empty()) std::memcpy(all.data(), bytes.data(), bytes.size());
  return all;
}

std::string first_failure(MPI_Comm comm, const std::string& local_failure) {
  int first = local_failure.empty() ? INT_MAX : rank(comm);
  MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == INT_MAX) return {};
  const auto message = bcast_string(comm, local_failure, first);
  return size(comm) > 1 ? fmt::format("rank {}: {}", first, message) : message;
}

void raise_if_any_failed(MPI_Comm comm, const std::string& local_failure, int exit_code) {
  const auto message = first_failure(comm, local_failure);
  if (message.empty()) return;
  MPI_Allreduce(MPI_IN_PLACE, &exit_code, 1, MPI_INT, MPI_MAX, comm);
  throw_error(message, exit_code);
}

namespace {

// Sleeps growing from 20 us to 1 ms: a short wait stays short, a long one leaves the CPU.
class Backoff {
public:
  void sleep() {
    std::this_thread::sleep_for(pause_);
    pause_ = std::min<std::chrono::microseconds>(pause_ * 2, std::chrono::milliseconds(1));
  }

private:
  std::chrono::microseconds pause_{20};
};

}  // namespace

void wait_idle(MPI_Request& request) {
  for (Backoff backoff;; backoff.sleep()) {
    int done = 0;
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
  }
}

std::optional<int> poll_message(MPI_Comm comm, int source, int tag, std::vector<unsigned char>& buffer) {
  int arrived = 0;
  MPI_Status status;
  MPI_Iprobe(source, tag, comm, &arrived, &status);
  if (!arrived) return std::nullopt;
  int bytes = 0;
  MPI_Get_count(&status, MPI_BYTE, &bytes);
  buffer.resize(static_cast<std::size_t>(bytes));
  MPI_Recv(buffer.data(), bytes, MPI_BYTE, status.MPI_SOURCE, tag, comm, MPI_STATUS_IGNORE);
  return status.MPI_SOURCE;
}

int receive_idle(MPI_Comm comm, int source, int tag, std::vector<unsigned char>& buffer) {
  for (Backoff backoff;; backoff.sleep())
    if (const auto from = poll_message(comm, source, tag, buffer)) return *from;
}

void idle_barrier(MPI_Comm comm) {
  MPI_Request request;
  MPI_Ibarrier(comm, &request);
  wait_idle(request);
}

std::string library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, static_cast<std::size_t>(std::max(0, length)));
  return version.substr(0, version.find_first_of(",\n"));  // the first clause names library and version
}

}  // namespace hybridscope::mpi
