// hybridscope: the command-line driver. All work is done by the library; this file parses the
// command line and maps every outcome to one message and one exit code on every rank.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hybridscope/analysis/compare.hpp"
#include "hybridscope/analysis/export.hpp"
#include "hybridscope/analysis/metrics.hpp"
#include "hybridscope/analysis/plot.hpp"
#include "hybridscope/cli/command_line.hpp"
#include "hybridscope/config/load.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/core/file.hpp"
#include "hybridscope/core/log.hpp"
#include "hybridscope/core/stop.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/report/summary.hpp"
#include "hybridscope/run.hpp"
#include "hybridscope/timeline/output.hpp"
#include "hybridscope/timeline/writer.hpp"

namespace {

using namespace hybridscope;


std::string utc_now_iso8601() {
  const auto now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", now);
}

// Signals end a run early but cleanly; the exit code still says which one, as a shell would.
int exit_code_for(const RunResult& result) {
  return result.stop_signal ? 128 + result.stop_signal : 0;
}

// The rank the launcher gave this process, known before MPI starts, so that command-line errors
// are printed once without starting MPI at all.
int launcher_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return 0;
}

// The timeline's size and every warning, on rank 0. Collective.
void report_timeline(MPI_Comm comm, const RunResult& result, const std::string& path,
                     double write_seconds) {
  std::uint64_t counts[2] = {result.recorded_intervals(), result.dropped_intervals()};
  MPI_Allreduce(MPI_IN_PLACE, counts, 2, MPI_UINT64_T, MPI_SUM, comm);
  std::error_code ignored;
  const auto bytes = std::filesystem::file_size(path, ignored);
  log::info(fmt::format("timeline   {} ({} intervals, {:.1f} MB, written in {:.2f} s)", path,
                        counts[0], double(bytes) * 1e-6, write_seconds));
  if (counts[1] > 0)
    log::warning(fmt::format("{} activity intervals were dropped (the timeline spool could not keep "
                             "up); the per-kind totals and the summary are still exact", counts[1]));
  if (result.stop_signal)
    log::warning(fmt::format("stopped early by {}: {} of {} items done; the timeline is marked "
                             "incomplete", stop::signal_name(result.stop_signal), result.items,
                             result.planned_items));
}

int run_command(const cli::RunArgs& args, int& argc, char**& argv) {
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
    if (session.provided() < MPI_THREAD_FUNNELED)
      throw Error(fmt::format("hybridscope needs MPI_THREAD_FUNNELED or more for its OpenMP threads, "
                              "but this MPI provides {}", mpi::thread_level_name(session.provided())));
    const auto input = load_input(comm, args.input, args.sets);
    output = timeline::plan_output(comm, args.output, args.force);
    const timeline::RunMetadata metadata{input.origin, input.text, input.resolved, args.command_line,
                                         mpi::bcast_string(comm, utc_now_iso8601(), 0)};
    RunOptions options;
    options.provided_thread_level = session.provided();
    options.trace_memory_bytes = args.trace_memory_mib << 20;
    const auto result = run(comm, input.config, options);
    // The numbers first: they are not lost if the timeline cannot be written.
    log::info(report::format_summary(result, input.config, input.origin));
    const double write_start = MPI_Wtime();
    timeline::write(comm, output.partial, result, input.config, metadata);
    timeline::publish(comm, output, args.force);
    report_timeline(comm, result, output.path, MPI_Wtime() - write_start);
    return exit_code_for(result);
  } catch (const Error& e) {
    timeline::discard(comm, output);
    log::error(e.what());
    return static_cast<int>(e.code());
  }
}

// Commands that run as one plain process, without MPI: an error is one line and its exit code.
template <class Body>
int as_plain_process(Body body) {
  try {
    body();
    return 0;
  } catch (const Error& e) {
    fmt::print(stderr, "hybridscope: error: {}\n", e.what());
    return static_cast<int>(e.code());
  }
}

void post_process(cli::Command command, const cli::PostArgs& a) {
  using namespace analysis;
  if (command == cli::Command::report) {
    const auto report = analyse(load_timeline(a.files.at(0), Load::intervals));
    fmt::print("{}", a.json ? to_json(report) + "\n" : to_text(report));
  } else if (command == cli::Command::plot) {
    const auto svg = plot_svg(load_timeline(a.files.at(0), Load::intervals), {a.width, a.from_s, a.to_s});
    write_new_file(a.output, svg);
    fmt::print("plot       {}\n", a.output);
  } else if (command == cli::Command::compare) {
    std::vector<Report> runs;
    for (const auto& f : a.files) runs.push_back(analyse(load_timeline(f, Load::summary)));
    fmt::print("{}", compare_table(runs));
    if (!a.output.empty()) {
      write_new_file(a.output, compare_svg(runs));
      fmt::print("chart      {}\n", a.output);
    }
  } else if (command == cli::Command::export_trace) {
    const auto timeline = load_timeline(a.files.at(0), Load::intervals_with_items);
    const ExportOptions options{a.from_s, a.to_s, a.sample, a.max_events};
    const auto events = a.format == "otf2" ? export_otf2(timeline, options, a.output)
                                           : export_perfetto(timeline, options, a.output);
    fmt::print("export     {} ({} events, {})\n", a.output, events, a.format);
  }
}

// study and advise launch MPI jobs as children; Ctrl-C stops them cleanly and ends with 128 + signal.
int study_command(const cli::Parsed& p) {
  stop::install_handlers();
  const int code = as_plain_process([&] {
    if (p.command == cli::Command::study)
      study::run_study(p.study);
    else
      study::advise(p.advise);
  });
  return code == 0 && stop::requested() ? 128 + stop::signal_received() : code;
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = cli::parse(argc, argv);
  if (parsed.exit_code) {
    // Under mpirun every rank parses the same line; one copy of the help or the error is enough.
    if (launcher_rank() == 0) {
      fmt::print(stdout, "{}", parsed.out);
      fmt::print(stderr, "{}", parsed.err);
    }
    return *parsed.exit_code;
  }
  if (parsed.command == cli::Command::run) return run_command(parsed.run, argc, argv);
  if (parsed.command == cli::Command::study || parsed.command == cli::Command::advise)
    return study_command(parsed);
  return as_plain_process([&] { post_process(parsed.command, parsed.post); });
}
