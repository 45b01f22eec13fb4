// hybridscope: the command-line driver. All work is done by the library; this file parses the
// command line and maps every outcome to one message and one exit code on every rank.
#include <CLI/CLI.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hybridscope/analysis/compare.hpp"
#include "hybridscope/analysis/export.hpp"
#include "hybridscope/analysis/metrics.hpp"
#include "hybridscope/analysis/plot.hpp"
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
  // Beyond a file size limit (ulimit -f), writes fail with EFBIG and are reported; by default the
  // process would be killed without a word.
  std::signal(SIGXFSZ, SIG_IGN);
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

// Post-processing runs in one process, without MPI.
struct PostArgs {
  std::vector<std::string> files;
  std::string output;
  bool json = false;
  int width = 1200;
  std::optional<double> from_s, to_s;
  std::string format;
  std::uint64_t sample = 1;
  std::uint64_t max_events = 1'000'000;
};

// Writes `text` to a new file, or fails without touching an existing one.
void write_new_file(const std::string& path, const std::string& text) {
  if (std::filesystem::exists(path))
    throw InputError(fmt::format("output '{}' exists (accepted: a new path; remove it first)", path));
  const std::string partial = path + ".partial";
  {
    std::FILE* out = std::fopen(partial.c_str(), "wx");
    if (!out) throw Error(fmt::format("cannot create '{}': {}", partial, std::strerror(errno)));
    const bool ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
    if (std::fclose(out) != 0 || !ok) throw Error(fmt::format("cannot write '{}'", partial));
  }
  std::filesystem::rename(partial, path);
}

int post_process(const std::string& command, const PostArgs& a) {
  using namespace analysis;
  try {
    if (command == "report") {
      const auto report = analyse(load_timeline(a.files.at(0), Load::intervals));
      fmt::print("{}", a.json ? to_json(report) + "\n" : to_text(report));
    } else if (command == "plot") {
      const auto svg = plot_svg(load_timeline(a.files.at(0), Load::intervals), {a.width, a.from_s, a.to_s});
      write_new_file(a.output, svg);
      fmt::print("plot       {}\n", a.output);
    } else if (command == "compare") {
      std::vector<Report> runs;
      for (const auto& f : a.files) runs.push_back(analyse(load_timeline(f, Load::summary)));
      fmt::print("{}", compare_table(runs));
      if (!a.output.empty()) {
        write_new_file(a.output, compare_svg(runs));
        fmt::print("chart      {}\n", a.output);
      }
    } else if (command == "export") {
      const auto timeline = load_timeline(a.files.at(0), Load::intervals_with_items);
      const ExportOptions options{a.from_s, a.to_s, a.sample, a.max_events};
      const auto events = a.format == "otf2" ? export_otf2(timeline, options, a.output)
                                             : export_perfetto(timeline, options, a.output);
      fmt::print("export     {} ({} events, {})\n", a.output, events, a.format);
    }
    return 0;
  } catch (const Error& e) {
    fmt::print(stderr, "hybridscope: error: {}\n", e.what());
    return static_cast<int>(e.code());
  }
}

// The default output name beside the input: run.h5 -> run.svg.
std::string beside(const std::string& input, const std::string& extension) {
  return std::filesystem::path(input).replace_extension(extension).string();
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

  PostArgs post;
  auto* report_cmd = app.add_subcommand("report", "Numbers from a timeline: shares, efficiency, warnings");
  report_cmd->add_option("timeline", post.files, "Timeline file (.h5)")->required()->expected(1);
  report_cmd->add_flag("--json", post.json, "Print JSON for scripts");

  auto* plot_cmd = app.add_subcommand("plot", "Activity picture of a timeline (SVG)");
  plot_cmd->add_option("timeline", post.files, "Timeline file (.h5)")->required()->expected(1);
  plot_cmd->add_option("-o,--output", post.output, "SVG file (default: the timeline's name, .svg)");
  plot_cmd->add_option("--from", post.from_s, "Window start, seconds from the run's start");
  plot_cmd->add_option("--to", post.to_s, "Window end, seconds from the run's start");
  plot_cmd->add_option("--width", post.width, "Pixels of the time axis")->capture_default_str();

  auto* compare_cmd = app.add_subcommand("compare", "Compare runs: wall time, speedup, efficiency");
  compare_cmd->add_option("timelines", post.files, "Timeline files (.h5)")->required();
  compare_cmd->add_option("-o,--output", post.output, "Also draw the comparison as SVG");

  auto* export_cmd = app.add_subcommand("export", "Export a timeline to Perfetto (JSON) or OTF2");
  export_cmd->add_option("timeline", post.files, "Timeline file (.h5)")->required()->expected(1);
  export_cmd->add_option("--format", post.format, "perfetto (Chrome trace JSON) or otf2")
      ->required()->check(CLI::IsMember({"perfetto", "otf2"}));
  export_cmd->add_option("-o,--output", post.output, "Output (default: the timeline's name, .json or .otf2)");
  export_cmd->add_option("--from", post.from_s, "Window start, seconds from the run's start");
  export_cmd->add_option("--to", post.to_s, "Window end, seconds from the run's start");
  export_cmd->add_option("--sample", post.sample, "Keep every Nth interval of each thread")
      ->check(CLI::PositiveNumber);
  export_cmd->add_option("--max-events", post.max_events, "Refuse Perfetto exports larger than this")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return launcher_rank() == 0 ? app.exit(e) : 0;
  } catch (const CLI::ParseError& e) {
    // CLI11 reports an unknown command as a missing one; name the word the user typed instead.
    const auto extras = app.remaining();
    const bool any = run_cmd->parsed() || report_cmd->parsed() || plot_cmd->parsed() ||
                     compare_cmd->parsed() || export_cmd->parsed();
    const std::string message = !any && !extras.empty()
                                    ? fmt::format("unknown command '{}' (accepted: run, report, plot, "
                                                  "compare, export)", extras.front())
                                    : e.what();
    if (launcher_rank() == 0)
      fmt::print(stderr, "hybridscope: error: {} (see hybridscope --help)\n", message);
    return static_cast<int>(ExitCode::bad_input);
  }
  if (run_cmd->parsed()) return run_command(run_args, argc, argv);
  for (auto* cmd : {report_cmd, plot_cmd, compare_cmd, export_cmd})
    if (cmd->parsed()) {
      if (post.output.empty() && cmd == plot_cmd) post.output = beside(post.files.at(0), ".svg");
      if (post.output.empty() && cmd == export_cmd)
        post.output = beside(post.files.at(0), post.format == "otf2" ? ".otf2" : ".json");
      return post_process(cmd->get_name(), post);
    }
  return 0;
}
