#include "hybridscope/cli/command_line.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/log.hpp"
#include "hybridscope/core/stop.hpp"
#include "hybridscope/core/version.hpp"

namespace hybridscope::cli {
namespace {

std::string join_command_line(int argc, const char* const* argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) out += fmt::format("{}{}", i ? " " : "", argv[i]);
  return out;
}

// The default output name beside the input: run.h5 -> run.svg.
std::string beside(const std::string& input, const std::string& extension) {
  return std::filesystem::path(input).replace_extension(extension).string();
}

// --progress: 0 (off) or a number of seconds that a log can bear.
CLI::Validator progress_interval() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double seconds = -1;
        if (!CLI::detail::lexical_cast(text, seconds) || !(seconds == 0 || (seconds >= 0.1 && seconds <= 86400)))
          return fmt::format("value {} not accepted: 0 (no progress lines) or seconds in [0.1, 86400]", text);
        return {};
      },
      "0 or in [0.1 - 86400]");
}

void add_run(CLI::App& app, RunRequest& a) {
  auto* cmd = app.add_subcommand("run", "Run a workload (the built-in default without INPUT)");
  cmd->add_option("input", a.input, "TOML input deck, e.g. inputs/cpu_fib.toml");
  cmd->add_option("--set", a.sets, "Override an input key, e.g. --set workload.n=32")
      ->type_name("KEY=VALUE");
  cmd->add_option("-o,--output", a.output,
                  "Timeline file (HDF5); default hybridscope-<time>-<pid>.h5, with the Slurm job id "
                  "when there is one")
      ->type_name("PATH");
  cmd->add_flag("--force", a.force, "Replace the output file if it exists");
  cmd->add_option("--resume", a.resume,
                  "Run only the items that did not finish successfully in this earlier timeline of the same "
                  "input (a farm cut short by a time limit, failed tasks)")
      ->type_name("OLD.h5");
  cmd->add_option("--trace-memory", a.trace_memory_mib,
                  "MiB per rank that hold activity records before they spool to $TMPDIR")
      ->check(CLI::Range(1, 1 << 16))
      ->type_name("MIB")
      ->capture_default_str();
  cmd->add_option("--progress", a.progress_every,
                  "Print a progress line every SECONDS (0: none); default: a line rewritten in place on a "
                  "terminal, else one every 60 s")
      ->check(progress_interval())
      ->type_name("SECONDS");
  cmd->add_flag("--quiet", a.quiet, "Print neither progress nor the summary (warnings and errors still)");
}

void add_post(CLI::App& app, analysis::PostArgs& a) {
  auto* report = app.add_subcommand("report", "Numbers from a timeline: shares, efficiency, warnings");
  report->add_option("timeline", a.files, "Timeline file (.h5)")->required()->expected(1);
  auto* json = report->add_flag("--json", a.json, "Print JSON for scripts");
  report->add_flag("--html", a.html,
                   "Write one self-contained HTML page (summary, metrics, warnings, threads, a zoomable timeline)")
      ->excludes(json);
  report->add_option("-o,--output", a.output, "HTML file (default: the timeline's name, .html)");
  report->add_flag("--force", a.force, "Replace the HTML file if it exists");

  auto* plot = app.add_subcommand("plot", "Activity picture of a timeline (SVG)");
  plot->add_option("timeline", a.files, "Timeline file (.h5)")->required()->expected(1);
  plot->add_option("-o,--output", a.output, "SVG file (default: the timeline's name, .svg)");
  plot->add_option("--from", a.plot.from_s, "Window start, seconds from the run's start");
  plot->add_option("--to", a.plot.to_s, "Window end, seconds from the run's start");
  plot->add_option("--width", a.plot.width, "Pixels of the time axis")->capture_default_str();

  auto* compare = app.add_subcommand("compare", "Compare runs: wall time, speedup, efficiency");
  compare->add_option("timelines", a.files, "Timeline files (.h5)")->required();
  compare->add_option("-o,--output", a.output, "Also draw the comparison as SVG");

  auto* exporter = app.add_subcommand("export", "Export a timeline to Perfetto (JSON) or OTF2");
  exporter->add_option("timeline", a.files, "Timeline file (.h5)")->required()->expected(1);
  exporter->add_option("--format", a.format, "perfetto (Chrome trace JSON) or otf2")
      ->required()
      ->check(CLI::IsMember({"perfetto", "otf2"}));
  exporter->add_option("-o,--output", a.output, "Output (default: the timeline's name, .json or .otf2)");
  exporter->add_option("--from", a.exported.from_s, "Window start, seconds from the run's start");
  exporter->add_option("--to", a.exported.to_s, "Window end, seconds from the run's start");
  exporter->add_option("--sample", a.exported.sample, "Keep every Nth interval of each thread")
      ->check(CLI::PositiveNumber);
  exporter->add_option("--max-events", a.exported.max_events, "Refuse Perfetto exports larger than this")
      ->capture_default_str();
}

// Where results go and what launches the runs: the same for study and advise.
void add_launch_options(CLI::App& cmd, std::string& folder, std::string& launcher) {
  cmd.add_option("-o,--output", folder,
                 "Folder for the results (default hybridscope-<what>-<time>); existing files are never "
                 "overwritten")
      ->type_name("DIR");
  cmd.add_option("--launcher", launcher,
                 "mpiexec, or srun inside a Slurm allocation, to use (default: $HYBRIDSCOPE_LAUNCHER, "
                 "else found on PATH)")
      ->type_name("PATH");
}

// --set for the runs of a study or advice; one value each, so that the input deck after it stays the
// positional (`study --set items=8 deck.toml`).
void add_sets(CLI::App& cmd, std::vector<std::string>& sets, const std::string& help) {
  cmd.add_option("--set", sets, help)->type_name("KEY=VALUE")->allow_extra_args(false);
}

void add_study(CLI::App& app, study::StudyOptions& a) {
  auto* cmd = app.add_subcommand("study", "Run a classic threads-vs-processes experiment, or compare threads, "
                                          "processes and hybrid on your input deck (docs/studies.md)");
  // Not checked here: define_study names the accepted studies, and reads a deck, before anything runs.
  cmd->add_option("name", a.name,
                  "gil, cpu-vs-io, fib or imbalance; or your input deck (a path ending in .toml or an existing "
                  "file): its runs as 1 x N threads, N x 1 processes and the hybrid splits for N = 1, 2, 4, ...")
      ->required()
      ->type_name("NAME|INPUT.toml");
  add_launch_options(*cmd, a.folder, a.launcher);
  add_sets(*cmd, a.sets, "Override a key of the input deck in every run (a deck only), e.g. --set items=64");
  cmd->add_option("--scale", a.scale,
                  "Multiplies the time per item of a built-in study (default 1; smaller: quicker, noisier); "
                  "for a deck lower the items with --set items=N")
      ->check(CLI::Range(1e-3, 1e3));
  cmd->add_option("--max-workers", a.max_workers,
                  "Most ranks x threads of a run (default: gil 8, cpu-vs-io 8 x the CPUs up to 64, fib 4, "
                  "imbalance the CPUs, a deck the larger of 4 and the CPUs up to 64)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--timeout", a.timeout_s, "Seconds after which a run is stopped (its timeline is kept)")
      ->check(CLI::Range(1.0, 1e6))
      ->type_name("SECONDS")
      ->capture_default_str();
}

void add_advise(CLI::App& app, study::AdviseOptions& a) {
  auto* cmd = app.add_subcommand("advise", "Try every ranks x threads split on your input and recommend one");
  cmd->add_option("input", a.input, "TOML input deck, e.g. inputs/irregular.toml")->required();
  add_sets(*cmd, a.sets, "Override an input key in every trial, e.g. --set items=200");
  add_launch_options(*cmd, a.folder, a.launcher);
  cmd->add_option("--workers", a.workers, "Ranks x threads of every candidate (default: the CPUs)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--budget", a.budget_s, "Seconds the whole advice may take, trials and summary")
      ->check(CLI::Range(10.0, 1e6))
      ->type_name("SECONDS")
      ->capture_default_str();
}

void add_watch(CLI::App& app, analysis::WatchOptions& a) {
  auto* cmd = app.add_subcommand("watch", "Follow a running job through its status file (from a login node too); "
                                          "its report when it ends");
  cmd->add_option("path", a.path, "The run's .status.json, or its timeline path (or name without .h5)")
      ->required()
      ->type_name("PATH");
  cmd->add_option("--stalled-after", a.stalled_after_s,
                  "Seconds without a heartbeat before the job counts as stalled (keep it well above the shared "
                  "file system's attribute cache time)")
      ->check(CLI::Range(2.0, 86400.0))
      ->type_name("SECONDS")
      ->capture_default_str();
  cmd->add_option("--every", a.every_s, "Seconds between reads of the status file")
      ->check(CLI::Range(0.1, 3600.0))
      ->type_name("SECONDS")
      ->capture_default_str();
  cmd->add_flag("--once", a.once, "Show the job once and exit (exit code 1 when it is stalled)");
}

constexpr std::pair<const char*, Command> kCommands[] = {
    {"run", Command::run},         {"report", Command::report},
    {"plot", Command::plot},       {"compare", Command::compare},
    {"export", Command::export_trace}, {"study", Command::study},
    {"advise", Command::advise},   {"watch", Command::watch}};

Command parsed_command(const CLI::App& app) {
  for (const auto& [name, command] : kCommands)
    if (app.get_subcommand(name)->parsed()) return command;
  return Command::none;
}

void fill_default_output(Parsed& p) {
  if (!p.post.output.empty() || p.post.files.empty()) return;
  if (p.command == Command::plot) p.post.output = beside(p.post.files.front(), ".svg");
  if (p.command == Command::report && p.post.html) p.post.output = beside(p.post.files.front(), ".html");
  if (p.command == Command::export_trace)
    p.post.output = beside(p.post.files.front(), p.post.format == "otf2" ? ".otf2" : ".json");
}

}  // namespace

Parsed parse(int argc, const char* const* argv) {
  Parsed p;
  CLI::App app{"hybridscope: measure whether threads, processes or both suit your workload.\n"
               "Runs MPI ranks x OpenMP threads over a workload and records who did what, when."};
  app.set_version_flag("--version", fmt::format("hybridscope {}", kVersion));
  app.require_subcommand(1);
  add_run(app, p.run);
  add_post(app, p.post);
  add_study(app, p.study);
  add_advise(app, p.advise);
  add_watch(app, p.watch);
  p.run.command_line = join_command_line(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    std::ostringstream out, err;
    p.exit_code = app.exit(e, out, err);
    p.out = out.str();
    p.err = err.str();
    return p;
  } catch (const CLI::ParseError& e) {
    // CLI11 reports an unknown command as a missing one; name the word the user typed instead.
    const auto extras = app.remaining();
    const std::string message = parsed_command(app) == Command::none && !extras.empty()
                                    ? fmt::format("unknown command '{}' (accepted: run, report, plot, "
                                                  "compare, export, study, advise, watch)", extras.front())
                                    : e.what();
    p.exit_code = static_cast<int>(ExitCode::bad_input);
    p.err = fmt::format("hybridscope: error: {} (see hybridscope --help)\n", message);
    return p;
  }
  p.command = parsed_command(app);
  fill_default_output(p);
  return p;
}

int launcher_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return 0;
}

namespace {
// A command that runs as one plain process, without MPI: an error is one line and its exit code.
template <class Body>
int as_plain_process(Body body) {
  try {
    body();
    return 0;
  } catch (const Error& e) {
    log::error(e.what());
    return static_cast<int>(e.code());
  }
}

// study and advise launch MPI jobs as children; Ctrl-C stops them cleanly and ends with 128 + signal.
int launching_children(const Parsed& p) {
  stop::install_handlers();
  const int code = as_plain_process([&] {
    if (p.command == Command::study)
      study::run_study(p.study);
    else
      study::advise(p.advise);
  });
  return code == 0 && stop::requested() ? 128 + stop::signal_received() : code;
}
}  // namespace

int dispatch(const Parsed& p, int& argc, char**& argv) {
  switch (p.command) {
    case Command::run: return run_job(p.run, argc, argv);
    case Command::report: return as_plain_process([&] { analysis::report_command(p.post); });
    case Command::plot: return as_plain_process([&] { analysis::plot_command(p.post); });
    case Command::compare: return as_plain_process([&] { analysis::compare_command(p.post); });
    case Command::export_trace: return as_plain_process([&] { analysis::export_command(p.post); });
    case Command::watch: {
      int code = 0;
      const int failed = as_plain_process([&] { code = analysis::watch_command(p.watch); });
      return failed ? failed : code;
    }
    case Command::study:
    case Command::advise: return launching_children(p);
    case Command::none: break;
  }
  return static_cast<int>(ExitCode::bad_input);
}

}  // namespace hybridscope::cli
