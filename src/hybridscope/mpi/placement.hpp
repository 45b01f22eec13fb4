#pragma once
// Where the ranks of a communicator run: their hosts, and which of them share a node.
#include <mpi.h>

#include <string>
#include <vector>

namespace hybridscope::mpi {

struct Placement {
  int rank = 0;
  int ranks = 1;
  std::vector<std::string> hosts;  // host of each rank
  int nodes = 1;                   // distinct shared-memory nodes
  int local_rank = 0;              // rank within this node
  int local_size = 1;              // ranks on this node

  const std::string& host() const { return hosts[static_cast<std::size_t>(rank)]; }
  // The first rank of a node, which does what is done once per node.
  bool node_leader() const { return local_rank == 0; }
};

// Collective over comm.
Placement locate(MPI_Comm comm);

}  // namespace hybridscope::mpi
