#pragma once
// MPI start-up and the few collectives every error path relies on.
#include <mpi.h>

#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include <type_traits>
#include <utility>

#include "hybridscope/core/error.hpp"

namespace hybridscope::mpi {

// MPI_Init_thread / MPI_Finalize as a scope. provided() says which thread level MPI granted; the
// caller decides whether that is enough.
class Session {
public:
  Session(int& argc, char**& argv, int required_level);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int provided() const { return provided_; }

private:
  int provided_ = MPI_THREAD_SINGLE;
};

// The lock that every helper thread of a rank (the chunk counters' progress and server threads, the
// progress reporter's) holds around its MPI calls: the session asks for MPI_THREAD_SERIALIZED, so
// no two threads of a process may be inside MPI at once. The main thread, which calls MPI only
// while no helper runs, does not take it.
std::mutex& helper_mutex();

std::string thread_level_name(int level);

int rank(MPI_Comm comm);
int size(MPI_Comm comm);

// Broadcasts a string of any length from root.
std::string bcast_string(MPI_Comm comm, const std::string& value, int root);

// MPI's text for an error code.
std::string error_string(int code);

// Broadcasts root's values (any count that fits an int).
std::vector<std::uint64_t> bcast_values(MPI_Comm comm, std::vector<std::uint64_t> values, int root);

// Every rank's values, in rank order, on rank 0 (empty elsewhere).
std::vector<std::uint64_t> gather_values(MPI_Comm comm, const std::vector<std::uint64_t>& values);

// Every rank's bytes, one rank after the other in rank order, on rank 0 (empty elsewhere).
std::vector<char> gather_bytes(MPI_Comm comm, const std::vector<char>& bytes);

// The message of the lowest rank with a non-empty `local_failure` (prefixed with that rank when comm
// has more than one), or "" when no rank failed. Collective.
std::string first_failure(MPI_Comm comm, const std::string& local_failure);

// Throws InputError for ExitCode::bad_input, else Error with that exit code.
[[noreturn]] void throw_error(const std::string& message, int exit_code);

// Shares a per-rank failure with every rank: if any rank passes a non-empty message, every rank
// throws Error carrying the message of the lowest failing rank (prefixed with that rank when
// comm has more than one rank). Collective; call it where all ranks meet.
void raise_if_any_failed(MPI_Comm comm, const std::string& local_failure, int exit_code = 1);

// Completes `request` without spinning in MPI: a rank that waits for others (a node leader writing,
// the slowest rank finishing) polls with sleeps growing to a millisecond, so that when ranks
// outnumber cores the waiting ones leave the CPU to those still working.
void wait_idle(MPI_Request& request);

// MPI_Barrier that waits as wait_idle does. Collective.
void idle_barrier(MPI_Comm comm);

// Receives into `buffer` (resized to fit) the next message with `tag` from `source` (or
// MPI_ANY_SOURCE) if one has come, and says from which rank.
std::optional<int> poll_message(MPI_Comm comm, int source, int tag, std::vector<unsigned char>& buffer);
// The same, waiting for the message as wait_idle does.
int receive_idle(MPI_Comm comm, int source, int tag, std::vector<unsigned char>& buffer);

// "MPI_Get_library_version" up to its first clause, e.g. "Open MPI v4.1.4".
std::string library_version();

namespace detail {
// Runs body, turning what it throws into a message and an exit code.
template <class Body, class Result = std::invoke_result_t<Body>>
std::optional<std::conditional_t<std::is_void_v<Result>, bool, Result>> attempt(Body& body, std::string& failure,
                                                                               int& code) {
  try {
    if constexpr (std::is_void_v<Result>) {
      body();
      return true;
    } else {
      return body();
    }
  } catch (const Error& e) {
    failure = e.what();
    code = static_cast<int>(e.code());
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (failure.empty()) failure = "failed without a message";
  return std::nullopt;
}
}  // namespace detail

// Every rank runs `body`; if it threw on any rank, every rank throws Error with the lowest failing
// rank's message (see raise_if_any_failed) and the highest exit code of the failures. Collective:
// this is the one way a failure that one rank can hit alone reaches all of them.
template <class Body>
auto on_every_rank(MPI_Comm comm, Body&& body) -> std::invoke_result_t<Body> {
  std::string failure;
  int code = static_cast<int>(ExitCode::failure);
  auto value = detail::attempt(body, failure, code);
  raise_if_any_failed(comm, value ? std::string() : failure, code);
  if constexpr (!std::is_void_v<std::invoke_result_t<Body>>) return std::move(*value);
}

// Only rank 0 runs `body` (reading an input, choosing a path); if it threw, every rank throws the
// same error, message and exit code, without a rank prefix. Returns body's value on rank 0 and a
// default-constructed one elsewhere. Collective.
template <class Body>
auto on_root(MPI_Comm comm, Body&& body) -> std::invoke_result_t<Body> {
  using Result = std::invoke_result_t<Body>;
  std::string failure;
  int code = static_cast<int>(ExitCode::ok);
  std::optional<std::conditional_t<std::is_void_v<Result>, bool, Result>> value;
  if (rank(comm) == 0) {
    code = static_cast<int>(ExitCode::failure);
    value = detail::attempt(body, failure, code);
    if (value) code = static_cast<int>(ExitCode::ok);
  }
  MPI_Bcast(&code, 1, MPI_INT, 0, comm);
  if (code != static_cast<int>(ExitCode::ok))
    throw_error(bcast_string(comm, failure, 0), code);
  if constexpr (!std::is_void_v<Result>) return value ? std::move(*value) : Result{};
}

}  // namespace hybridscope::mpi
