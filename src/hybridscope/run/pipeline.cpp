#include "hybridscope/run/pipeline.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <filesystem>

#include "hybridscope/config/load.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/core/log.hpp"
#include "hybridscope/core/stop.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/report/summary.hpp"
#include "hybridscope/timeline/output.hpp"
#include "hybridscope/timeline/writer.hpp"

namespace hybridscope {

namespace {

std::string utc_now_iso8601() {
  const auto now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", now);
}

void require_thread_level(const mpi::Session& session) {
  if (session.provided() < MPI_THREAD_FUNNELED)
    throw Error(fmt::format("hybridscope needs MPI_THREAD_FUNNELED or more for its OpenMP threads, but this "
                            "MPI provides {}", mpi::thread_level_name(session.provided())));
}

// The timeline's size and every warning, on rank 0. Collective.
void report_timeline(MPI_Comm comm, const RunResult& result, const std::string& path, double write_seconds) {
  std::uint64_t counts[2] = {result.recording.recorded(), result.recording.dropped()};
  MPI_Allreduce(MPI_IN_PLACE, counts, 2, MPI_UINT64_T, MPI_SUM, comm);
  std::error_code ignored;
  const auto bytes = std::filesystem::file_size(path, ignored);
  log::info(fmt::format("timeline   {} ({} intervals, {:.1f} MB, written in {:.2f} s)", path, counts[0],
                        double(bytes) * 1e-6, write_seconds));
  const auto& spool = result.recording.spool;
  if (spool && !spool->failure().empty())
    log::rank_warning(fmt::format("{} activity intervals were lost: {} (set TMPDIR to a directory with room)",
                                  spool->lost(), spool->failure()));
  if (counts[1] > 0)
    log::warning(fmt::format("{} activity intervals were dropped (the timeline spool could not keep up or "
                             "could not write); the per-kind totals and the summary are still exact", counts[1]));
  if (result.stop_signal)
    log::warning(fmt::format("stopped early by {}: {} of {} items done; the timeline is marked incomplete",
                             stop::signal_name(result.stop_signal), result.summary.items_done,
                             result.facts.items_planned));
}

// The pipeline; returns the exit code. Signals end a run early but cleanly, and the exit code still
// says which one, as a shell would.
int run_and_record(MPI_Comm comm, const mpi::Session& session, const RunRequest& request,
                   timeline::OutputPlan& output) {
  require_thread_level(session);
  const auto input = load_input(comm, request.input, request.sets);
  output = timeline::plan_output(comm, request.output, request.force);
  const auto start_time = mpi::bcast_string(comm, utc_now_iso8601(), 0);

  RunOptions options;
  options.provided_thread_level = session.provided();
  options.trace_memory_bytes = request.trace_memory_mib << 20;
  auto result = run(comm, input.config, options);
  result.facts.input = {input.origin, input.text, input.resolved};
  result.facts.command_line = request.command_line;
  result.facts.start_time_utc = start_time;

  // The numbers first: they are not lost if the timeline cannot be written.
  log::info(report::format_summary(fmt::format("input      {}", input.origin), result.facts, result.summary,
                                   result.threads, result.hosts));
  const double write_start = MPI_Wtime();
  timeline::write(comm, output.partial, result.facts, result.summary, result.rank, result.recording);
  timeline::publish(comm, output, request.force);
  report_timeline(comm, result, output.path, MPI_Wtime() - write_start);
  if (!result.failure.empty()) throw Error(result.failure);
  return result.stop_signal ? 128 + result.stop_signal : 0;
}

}  // namespace

int run_job(const RunRequest& request, int& argc, char**& argv) {
  // Beyond a file size limit (ulimit -f), writes fail with EFBIG and are reported; by default the
  // process would be killed without a word.
  std::signal(SIGXFSZ, SIG_IGN);
  // Before MPI starts, so that a stop requested while it starts ends the run cleanly too.
  stop::install_handlers();
  mpi::Session session(argc, argv, MPI_THREAD_SERIALIZED);
  const MPI_Comm comm = MPI_COMM_WORLD;
  log::set_rank(mpi::rank(comm));
  timeline::OutputPlan output;
  try {
    return run_and_record(comm, session, request, output);
  } catch (const Error& e) {
    timeline::discard(comm, output);
    log::error(e.what());
    return static_cast<int>(e.code());
  }
}

}  // namespace hybridscope
