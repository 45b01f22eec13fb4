#include "hybridscope/mpi/placement.hpp"

#include <fmt/format.h>

#include "hybridscope/mpi/session.hpp"

namespace hybridscope::mpi {

namespace {
std::vector<std::string> gather_hosts(MPI_Comm comm) {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(name, &length);
  const int n = size(comm);
  std::vector<char> all(static_cast<std::size_t>(n) * MPI_MAX_PROCESSOR_NAME);
  MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME,
                MPI_CHAR, comm);
  std::vector<std::string> hosts;
  for (int r = 0; r < n; ++r) hosts.emplace_back(all.data() + std::size_t(r) * MPI_MAX_PROCESSOR_NAME);
  return hosts;
}
}  // namespace

Placement locate(MPI_Comm comm) {
  Placement p;
  p.rank = rank(comm);
  p.ranks = size(comm);
  p.hosts = gather_hosts(comm);
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, p.rank, MPI_INFO_NULL, &node);
  p.local_rank = rank(node);
  p.local_size = size(node);
  MPI_Comm_free(&node);
  int leader = p.node_leader() ? 1 : 0;
  MPI_Allreduce(&leader, &p.nodes, 1, MPI_INT, MPI_SUM, comm);
  return p;
}

}  // namespace hybridscope::mpi
