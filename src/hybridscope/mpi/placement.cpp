#include "hybridscope/mpi/placement.hpp"

#include <fmt/format.h>

#include <sched.h>

#include <algorithm>

#include "hybridscope/mpi/session.hpp"

namespace hybridscope::mpi {

namespace {
std::string processor_name() {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(name, &length);
  return std::string(name, static_cast<std::size_t>(length));
}

std::vector<std::string> gather_hosts(MPI_Comm comm, const std::string& mine) {
  std::vector<char> bytes(mine.begin(), mine.end());
  bytes.push_back('\0');
  const auto all = gather_bytes(comm, bytes);
  std::vector<std::string> hosts;
  for (auto at = all.begin(); at != all.end(); ++at) {
    const auto end = std::find(at, all.end(), '\0');
    hosts.emplace_back(at, end);
    at = end;
  }
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
  p.host = processor_name();
  p.hosts = gather_hosts(comm, p.host);
  p.comms = std::make_shared<const NodeComms>(comm);
  p.local_rank = rank(p.comms->node());
  p.local_size = size(p.comms->node());
  if (p.comms->leader()) p.nodes = size(p.comms->leaders());
  MPI_Bcast(&p.nodes, 1, MPI_INT, 0, p.comms->node());
  return p;
}

int cpu_share(MPI_Comm node) {
  cpu_set_t mine, all;
  CPU_ZERO(&mine);
  if (sched_getaffinity(0, sizeof mine, &mine) != 0) CPU_SET(0, &mine);  // unknown: one CPU
  MPI_Allreduce(&mine, &all, sizeof mine, MPI_BYTE, MPI_BOR, node);
  return std::max(1, std::min(CPU_COUNT(&mine), CPU_COUNT(&all) / size(node)));
}

}  // namespace hybridscope::mpi
