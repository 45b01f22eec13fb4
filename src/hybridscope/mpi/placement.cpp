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

NodeComms::NodeComms(MPI_Comm comm) : all_(comm) {
  const int me = rank(comm);
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, me, MPI_INFO_NULL, &node_);
  MPI_Comm_split(comm, rank(node_) == 0 ? 0 : MPI_UNDEFINED, me, &leaders_);
}

NodeComms::~NodeComms() {
  if (leaders_ != MPI_COMM_NULL) MPI_Comm_free(&leaders_);
  MPI_Comm_free(&node_);
}

Placement locate(MPI_Comm comm) {
  Placement p;
  p.rank = rank(comm);
  p.ranks = size(comm);
  p.hosts = gather_hosts(comm);
  p.comms = std::make_shared<const NodeComms>(comm);
  p.local_rank = rank(p.comms->node());
  p.local_size = size(p.comms->node());
  if (p.comms->leader()) p.nodes = size(p.comms->leaders());
  MPI_Bcast(&p.nodes, 1, MPI_INT, 0, p.comms->node());
  return p;
}

}  // namespace hybridscope::mpi
