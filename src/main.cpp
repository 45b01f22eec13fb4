// hybridscope: the command-line driver. All work is done by the library; this file parses the
// command line and maps every outcome to one message and one exit code on every rank.
#include <CLI/CLI.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hybridscope/config/load.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/core/log.hpp"
#include "hybridscope/core/stop.hpp"
#include "hybridscope/core/version.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/report/summary.hpp"
#include "hybridscope/run.hpp"
#include "hybridscope/timeline/output.hpp"
#include "hybridscope/timeline/writer.hpp"

namespace {

using namespace hybridscope;

struct RunArgs {
  std::optional<std::string> input;
  std::vector<std::string> sets;
  std::optional<std::string> output;
  bool force = false;
  std::size_t trace_memory_mib = 64;
  std::string command_line;
};

std::string utc_now_iso8601() {
  const auto now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", now);
}

std::string join_command_line(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) out += fmt::format("{}{}", i ? " " : "", argv[i]);
  return out;
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

int run_command(const RunArgs& args, int& argc, char**& argv) {
  mpi::Session session(argc, argv, MPI_THREAD_SERIALIZED);
  stop::install_handlers();
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hybridscope: measure whether threads, processes or both suit your workload.\n"
               "Runs MPI ranks x OpenMP threads over a workload and records who did what, when."};
  app.set_version_flag("--version", fmt::format("hybridscope {}", kVersion));
  app.require_subcommand(1);

  RunArgs run_args;
  auto* run_cmd = app.add_subcommand("run", "Run a workload (the built-in default without INPUT)");
  run_cmd->add_option("input", run_args.input, "TOML input deck, e.g. inputs/cpu_fib.toml");
  run_cmd->add_option("--set", run_args.sets, "Override an input key, e.g. --set workload.n=32")
      ->type_name("KEY=VALUE");
  run_cmd->add_option("-o,--output", run_args.output,
                      "Timeline file (HDF5); default hybridscope-<time>-<pid>.h5, with the Slurm job id "
                      "when there is one")
      ->type_name("PATH");
  run_cmd->add_flag("--force", run_args.force, "Replace the output file if it exists");
  run_cmd->add_option("--trace-memory", run_args.trace_memory_mib,
                      "MiB per rank that hold activity records before they spool to $TMPDIR")
      ->check(CLI::Range(1, 1 << 16))
      ->type_name("MIB")
      ->capture_default_str();
  run_args.command_line = join_command_line(argc, argv);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return launcher_rank() == 0 ? app.exit(e) : 0;
  } catch (const CLI::ParseError& e) {
    // CLI11 reports an unknown command as a missing one; name the word the user typed instead.
    const auto extras = app.remaining();
    const std::string message = !run_cmd->parsed() && !extras.empty()
                                    ? fmt::format("unknown command '{}' (accepted: run)", extras.front())
                                    : e.what();
    if (launcher_rank() == 0)
      fmt::print(stderr, "hybridscope: error: {} (see hybridscope --help)\n", message);
    return static_cast<int>(ExitCode::bad_input);
  }
  if (run_cmd->parsed()) return run_command(run_args, argc, argv);
  return 0;
}
