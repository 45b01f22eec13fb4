// hybridscope: the command-line driver. All work is done by the library; this file parses the
// command line and maps every outcome to one message and one exit code on every rank.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "hybridscope/config/load.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/core/log.hpp"
#include "hybridscope/core/version.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/report/summary.hpp"
#include "hybridscope/run.hpp"

namespace {

using namespace hybridscope;

struct RunArgs {
  std::optional<std::string> input;
  std::vector<std::string> sets;
};

// The rank the launcher gave this process, known before MPI starts, so that command-line errors
// are printed once without starting MPI at all.
int launcher_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return 0;
}

int run_command(const RunArgs& args, int& argc, char**& argv) {
  mpi::Session session(argc, argv, MPI_THREAD_SERIALIZED);
  const MPI_Comm comm = MPI_COMM_WORLD;
  log::set_rank(mpi::rank(comm));
  try {
    if (session.provided() < MPI_THREAD_FUNNELED)
      throw Error(fmt::format("hybridscope needs MPI_THREAD_FUNNELED or more for its OpenMP threads, "
                              "but this MPI provides {}", mpi::thread_level_name(session.provided())));
    const auto input = load_input(comm, args.input, args.sets);
    const auto result = run(comm, input.config, {.provided_thread_level = session.provided()});
    log::info(report::format_summary(result, input.config, input.origin));
    return 0;
  } catch (const Error& e) {
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
