#include "hybridscope/mpi/layout.hpp"

#include <fmt/format.h>

#include <map>

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

std::string Layout::host_summary() const {
  std::map<std::string, int> per_host;
  for (const auto& h : hosts) ++per_host[h];
  std::string out;
  for (const auto& [host, count] : per_host)
    out += fmt::format("{}{} ({} rank{})", out.empty() ? "" : ", ", host, count, count == 1 ? "" : "s");
  return out;
}

NodeLayout::NodeLayout(MPI_Comm comm, int threads) {
  layout_.rank = rank(comm);
  layout_.ranks = size(comm);
  layout_.threads = threads;
  layout_.hosts = gather_hosts(comm);
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, layout_.rank, MPI_INFO_NULL, &layout_.node_comm);
  layout_.local_rank = rank(layout_.node_comm);
  layout_.local_size = size(layout_.node_comm);
  int leader = layout_.local_rank == 0 ? 1 : 0;
  MPI_Allreduce(&leader, &layout_.nodes, 1, MPI_INT, MPI_SUM, comm);
}

NodeLayout::~NodeLayout() {
  if (layout_.node_comm != MPI_COMM_NULL) MPI_Comm_free(&layout_.node_comm);
}

}  // namespace hybridscope::mpi
