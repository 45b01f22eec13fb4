#pragma once
// MPI start-up and the few collectives every error path relies on.
#include <mpi.h>

#include <string>

namespace hybridscope::mpi {

// MPI_Init_thread / MPI_Finalize as a scope. Checks the provided thread level.
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

std::string thread_level_name(int level);

int rank(MPI_Comm comm);
int size(MPI_Comm comm);

// Broadcasts a string of any length from root.
std::string bcast_string(MPI_Comm comm, const std::string& value, int root);

// Shares a per-rank failure with every rank: if any rank passes a non-empty message, every rank
// throws Error carrying the message of the lowest failing rank (prefixed with that rank when
// comm has more than one rank). Collective; call it where all ranks meet.
void raise_if_any_failed(MPI_Comm comm, const std::string& local_failure, int exit_code = 1);

}  // namespace hybridscope::mpi
