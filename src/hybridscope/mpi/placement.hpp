#pragma once
// Where the ranks of a communicator run: their hosts, which of them share a node, and the node
// leaders that do once per node what needs doing once per node (topology, clock sync, the
// timeline write) and alone speak across nodes for their node.
#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

namespace hybridscope::mpi {

// The ranks of a communicator grouped by shared-memory node, and the node leaders (the lowest rank
// of each node; rank 0 leads the first node) in a communicator of their own.
class NodeComms {
public:
  explicit NodeComms(MPI_Comm comm);  // collective over comm
  ~NodeComms();
  NodeComms(const NodeComms&) = delete;
  NodeComms& operator=(const NodeComms&) = delete;

  MPI_Comm all() const { return all_; }          // the communicator grouped (not owned)
  MPI_Comm node() const { return node_; }        // this rank's node, ranks in the order of all()
  MPI_Comm leaders() const { return leaders_; }  // the node leaders, nodes in the order of their leaders
                                                 // in all(); MPI_COMM_NULL on the other ranks
  bool leader() const { return leaders_ != MPI_COMM_NULL; }

private:
  MPI_Comm all_;
  MPI_Comm node_ = MPI_COMM_NULL;
  MPI_Comm leaders_ = MPI_COMM_NULL;
};

struct Placement {
  int rank = 0;
  int ranks = 1;
  std::string host;                // this rank's host
  std::vector<std::string> hosts;  // host of each rank, on rank 0 only: every rank's on every rank
                                   // would be ranks^2 names to move
  int nodes = 1;                   // distinct shared-memory nodes
  int local_rank = 0;              // rank within this node
  int local_size = 1;              // ranks on this node
  std::shared_ptr<const NodeComms> comms;

  // The first rank of a node, which does what is done once per node.
  bool node_leader() const { return local_rank == 0; }
};

// Collective over comm.
Placement locate(MPI_Comm comm);

// How many threads this rank may run without crowding its node's other ranks: the CPUs it may use,
// but no more than its even share of those its node's ranks may use together (ranks left unbound
// all see every CPU). Collective over `node`, a communicator of one node's ranks.
int cpu_share(MPI_Comm node);

}  // namespace hybridscope::mpi
