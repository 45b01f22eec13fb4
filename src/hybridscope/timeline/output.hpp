#pragma once
// Where the timeline goes. It is written under a temporary name next to its final path and moved
// there only when complete, so a path never holds a half-written file, and an existing file is
// never replaced unless the user asks for it.
#include <mpi.h>

#include <optional>
#include <string>

namespace hybridscope::timeline {

struct OutputPlan {
  std::string path;     // the final name
  std::string partial;  // written first, in the same directory
};

// Collective. Rank 0 picks the path (a unique default name in the current directory when none is
// requested), refuses an existing file unless `force`, and checks that the directory takes a new
// file. Throws InputError on every rank when the path cannot be used.
OutputPlan plan_output(MPI_Comm comm, const std::optional<std::string>& requested, bool force);

// Collective. Moves the partial file to its final name; throws Error on every rank if it cannot,
// keeping the written file under its partial name (and clearing plan.partial, so that discard()
// leaves it).
void publish(MPI_Comm comm, OutputPlan& plan, bool force);

// Not collective: removes the partial file if this is rank 0 of comm.
void discard(MPI_Comm comm, const OutputPlan& plan);

// "hybridscope-<time>-<pid>.h5", or with the Slurm job and step when there is one.
std::string default_name();

}  // namespace hybridscope::timeline
