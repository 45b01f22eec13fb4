#include "hybridscope/run/pipeline.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <sstream>

#include "hybridscope/config/load.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/core/log.hpp"
#include "hybridscope/core/phases.hpp"
#include "hybridscope/core/stop.hpp"
#include "hybridscope/h5/h5.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/report/summary.hpp"
#include "hybridscope/sched/items.hpp"
#include "hybridscope/timeline/reader.hpp"
#include "hybridscope/timeline/status.hpp"
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
void report_timeline(MPI_Comm comm, const RunResult& result, const std::string& path, double write_seconds,
                     bool quiet) {
  std::uint64_t counts[2] = {result.recording.recorded(), result.recording.dropped()};
  MPI_Allreduce(MPI_IN_PLACE, counts, 2, MPI_UINT64_T, MPI_SUM, comm);
  std::error_code ignored;
  const auto bytes = std::filesystem::file_size(path, ignored);
  if (!quiet)
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

// "line 3: 'items = 120' here, 'items = 100' there".
std::string first_difference(const std::string& here, const std::string& there) {
  std::istringstream a(here), b(there);
  std::string line_a, line_b;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, line_a)), more_b = static_cast<bool>(std::getline(b, line_b));
    if (!more_a && !more_b) return "none";
    if (!more_a) line_a = "(end)";
    if (!more_b) line_b = "(end)";
    if (line_a != line_b) return fmt::format("line {}: '{}' here, '{}' there", line, line_a, line_b);
  }
}

// On rank 0: what the chain ending in `path` finished, once it is clear that it ran this input.
Resume read_resume(const std::string& path, const LoadedInput& input) {
  const auto old = timeline::load(path, timeline::Load::summary);
  const auto refuse = [&](const std::string& why) {
    return InputError(fmt::format("--resume {}: {} (accepted: a timeline of this same input, written by this "
                                  "version of hybridscope)", path, why));
  };
  if (old.schema_version < 3)
    throw refuse(fmt::format("schema_version {} does not record which items finished", old.schema_version));
  if (old.facts.input.resolved != input.resolved)
    throw refuse(fmt::format("it ran another input: {}", first_difference(input.resolved, old.facts.input.resolved)));
  if (old.facts.tasks_digest != input.tasks_digest)
    throw refuse(fmt::format("the task file '{}' changed since (digest {} there, {} now)",
                             input.config.workload.tasks, old.facts.tasks_digest, input.tasks_digest));
  Resume r;
  r.from = std::filesystem::absolute(path).lexically_normal().string();
  r.done = old.facts.carried;
  r.done.insert(r.done.end(), old.succeeded.begin(), old.succeeded.end());
  r.checksum = old.facts.checksum_carried + old.summary.checksum_succeeded;
  return r;
}

// Collective: rank 0 reads the timeline, every rank gets what it carries over.
Resume share_resume(MPI_Comm comm, const std::string& path, const LoadedInput& input) {
  Resume r = mpi::on_root(comm, [&] { return read_resume(path, input); });
  r.from = mpi::bcast_string(comm, r.from, 0);
  std::vector<std::uint64_t> values{r.checksum};
  for (const auto& range : r.done) values.insert(values.end(), {range.begin, range.end});
  values = mpi::bcast_values(comm, std::move(values), 0);
  r.checksum = values[0];
  r.done.clear();
  for (std::size_t i = 1; i + 1 < values.size(); i += 2) r.done.push_back({values[i], values[i + 1]});
  return r;
}

// The farm's output folder by default: the timeline's name with .tasks for .h5.
std::string task_output_beside(const std::string& timeline_path) {
  std::filesystem::path p = std::filesystem::absolute(timeline_path);
  if (p.extension() == ".h5") p.replace_extension();
  return p.string() + ".tasks";
}

// The failed tasks, in one message: their items and where their output went.
std::string failed_tasks_message(const RunResult& result, const std::string& timeline) {
  constexpr std::size_t kNamed = 10;
  std::string items;
  for (std::size_t i = 0; i < std::min(kNamed, result.failed_items.size()); ++i)
    items += fmt::format("{}{}", i ? ", " : "", result.failed_items[i]);
  if (result.failed_items.size() > kNamed) items += ", ...";
  const auto first = result.failed_items.empty() ? 0 : result.failed_items.front();
  return fmt::format("{} of {} tasks failed: items {}; output of item {}: {} (when it wrote any); `hybridscope "
                     "report {}` lists them; the same command with --resume {} runs them again",
                     result.summary.items_failed, result.summary.items_done, items, first,
                     trace::task_output_path(result.facts.task_output, first, 0, "{out,err}"), timeline, timeline);
}

// How a run ended, for its status file.
struct RunEnd {
  std::string outcome;
  std::optional<std::uint64_t> done;  // the items done, once known
};

// The pipeline; returns the exit code. Signals end a run early but cleanly, and the exit code still
// says which one, as a shell would.
int run_and_record(MPI_Comm comm, const mpi::Session& session, const RunRequest& request,
                   timeline::OutputPlan& output, RunEnd& end) {
  require_thread_level(session);
  const auto input = load_input(comm, request.input, request.sets);
  RunOptions options;
  if (request.resume) {
    options.resume = share_resume(comm, *request.resume, input);
    if (sched::count_items(sched::merge_ranges(options.resume.done)) >= input.config.items) {
      log::info(fmt::format("nothing to run: every item of {} and the runs before it finished successfully",
                            *request.resume));
      return 0;
    }
  }
  output = timeline::plan_output(comm, request.output, request.force);
  // HDF5 is loaded when first used (h5/api.hpp): rank 0, which writes, loads it now, so that a
  // missing library ends the job before its items run rather than after.
  mpi::on_root(comm, [] { h5::library_version(); });
  const auto start_time = mpi::bcast_string(comm, utc_now_iso8601(), 0);

  options.provided_thread_level = session.provided();
  options.trace_memory_bytes = request.trace_memory_mib << 20;
  const auto& w = input.config.workload;
  options.task_output = w.output.empty() ? task_output_beside(output.path) : w.output;
  options.reuse_output = request.force || request.resume.has_value();
  options.tasks_digest = input.tasks_digest;
  options.progress = {request.quiet, request.progress_every, timeline::status_path_for(output.path),
                      std::filesystem::absolute(output.path).lexically_normal().string()};
  auto result = run(comm, input.config, options);
  result.facts.input = {input.origin, input.text, input.resolved};
  result.facts.command_line = request.command_line;
  result.facts.start_time_utc = start_time;

  end = {result.summary.complete ? "complete" : result.summary.stop_reason, result.summary.items_done};
  // The numbers first: they are not lost if the timeline cannot be written.
  // Rank 0 alone holds every rank's thread times and hosts.
  if (mpi::rank(comm) == 0 && !request.quiet)
    log::info(report::format_summary(fmt::format("input      {}", input.origin), result.facts, result.summary,
                                     result.threads, result.hosts));
  const double write_start = MPI_Wtime();
  timeline::write(*result.nodes, output.partial, result.facts, result.summary, result.rank, result.recording);
  timeline::publish(comm, output, request.force);
  report_timeline(comm, result, output.path, MPI_Wtime() - write_start, request.quiet);
  if (!result.failure.empty()) throw Error(result.failure);
  if (result.stop_signal) return 128 + result.stop_signal;
  if (result.summary.items_failed > 0) {
    log::error(failed_tasks_message(result, output.path));
    return static_cast<int>(ExitCode::failure);
  }
  return 0;
}

}  // namespace

int run_job(const RunRequest& request, int& argc, char**& argv) {
  // Beyond a file size limit (ulimit -f), writes fail with EFBIG and are reported; by default the
  // process would be killed without a word.
  std::signal(SIGXFSZ, SIG_IGN);
  // Before MPI starts, so that a stop requested while it starts ends the run cleanly too.
  stop::install_handlers();
  int code = 0;
  {
    phases::begin("mpi-init");
    mpi::Session session(argc, argv, MPI_THREAD_SERIALIZED);
    phases::begin("setup");
    const MPI_Comm comm = MPI_COMM_WORLD;
    log::set_rank(mpi::rank(comm));
    timeline::OutputPlan output;
    RunEnd end;
    try {
      code = run_and_record(comm, session, request, output, end);
    } catch (const Error& e) {
      timeline::discard(comm, output);
      log::error(e.what());
      code = static_cast<int>(e.code());
      end.outcome = e.what();
    }
    if (!output.path.empty()) {
      mark_status_ended(timeline::status_path_for(output.path), end.outcome, code, end.done);
      // mpiexec kills every rank as soon as one exits non-zero: none leaves before the file says so.
      MPI_Barrier(comm);
    }
    phases::begin("finalize");
  }
  if (phases::wanted() && log::rank() == 0) fmt::print(stderr, "phases     {}\n", phases::summary());
  return code;
}

}  // namespace hybridscope
