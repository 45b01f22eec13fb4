#pragma once
// Where the ranks of a communicator run: hosts, nodes and node-local ranks.
#include <mpi.h>

#include <string>
#include <vector>

namespace hybridscope::mpi {

struct Layout {
  int rank = 0;
  int ranks = 1;
  int threads = 1;                 // OpenMP threads per rank
  std::vector<std::string> hosts;  // host of each rank
  int nodes = 1;                   // distinct shared-memory nodes
  int local_rank = 0;              // rank within this node
  int local_size = 1;              // ranks on this node
  MPI_Comm node_comm = MPI_COMM_NULL;  // ranks sharing memory with this one (owned by NodeComm)

  int workers() const { return ranks * threads; }
  // "host1 (2 ranks), host2 (2 ranks)".
  std::string host_summary() const;
};

// Owns the node communicator; collective over comm.
class NodeLayout {
public:
  NodeLayout(MPI_Comm comm, int threads);
  ~NodeLayout();
  NodeLayout(const NodeLayout&) = delete;
  NodeLayout& operator=(const NodeLayout&) = delete;
  const Layout& get() const { return layout_; }

private:
  Layout layout_;
};

}  // namespace hybridscope::mpi
