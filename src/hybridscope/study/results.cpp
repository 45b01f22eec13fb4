#include "hybridscope/study/results.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hybridscope/analysis/compare.hpp"
#include "hybridscope/analysis/html.hpp"
#include "hybridscope/analysis/plot.hpp"
#include "hybridscope/config/config.hpp"
#include "hybridscope/config/load.hpp"
#include "hybridscope/config/tasks.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/core/file.hpp"
#include "hybridscope/core/log.hpp"

namespace hybridscope::study {

namespace {

namespace fs = std::filesystem;

std::string in_folder(const Setup& setup, const std::string& file) {
  return (fs::path(setup.folder) / file).string();
}

std::string timeline_of(const Setup& setup, const Configuration& c) { return in_folder(setup, c.name + ".h5"); }
std::string log_of(const Setup& setup, const Configuration& c) { return in_folder(setup, c.name + ".log"); }

constexpr const char* kSummaryFiles[] = {"summary.txt", "summary.json", "compare.svg", "index.html"};
constexpr double kBusyLoadPerCpu = 0.25;  // a load average above this per CPU means other work was running

// The line of a launcher log that says what went wrong: hybridscope's "error:" line, else the first
// line of text (Open MPI's messages begin with what happened).
std::string what_failed(const std::string& path) {
  std::ifstream in(path);
  std::string line, first;
  while (std::getline(in, line)) {
    if (line.find("error") != std::string::npos || line.find("Error") != std::string::npos) return line;
    if (first.empty() && line.find_first_not_of(" \t-*=") != std::string::npos) first = line;
  }
  return first;
}

std::string stop_note(const Trial& t) {
  if (!t.outcome.stopped) return "";
  if (t.outcome.requested) return "stopped: hybridscope was asked to stop";
  return t.lost ? "stopped: clearly slower than the best finished run" : "stopped at its time limit";
}

std::string progress(const Trial& t) {
  std::string out = t.report ? fmt::format("wall {:.3f} s", t.report->summary.wall_seconds) : "no timeline";
  if (t.report && !t.report->summary.complete)
    out += fmt::format(" ({} of {} items)", t.report->summary.items_done, t.report->facts.items_planned);
  out += fmt::format(", launch {:.2f} s", t.outcome.seconds);
  return t.outcome.stopped ? out + ", " + stop_note(t) : out;
}

// Why a trial is not a complete run, when it is not.
std::string footnote(const Trial& t) {
  if (!t.outcome.stopped && t.report) return "";
  std::string why = stop_note(t);
  if (!t.report) why += why.empty() ? "no timeline" : ", no timeline";
  return fmt::format("{}: {} after {:.1f} s\n", t.config.name, why, t.outcome.seconds);
}

std::vector<analysis::Report> reports_of(const std::vector<Trial>& trials) {
  std::vector<analysis::Report> reports;
  for (const auto& t : trials)
    if (t.report) reports.push_back(*t.report);
  return reports;
}

// The 1-minute load average from /proc/loadavg, or -1.
double load_average() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  return in >> load ? load : -1;
}

// Other processes on the CPUs slow CPU-bound runs down unevenly: the numbers are not the layouts' alone.
std::string load_note(const Setup& setup) {
  if (setup.load_average < kBusyLoadPerCpu * setup.cpus) return "";
  return fmt::format("the machine was busy: load average {:.2f} on {} CPUs before the first run; other "
                     "processes competed for the CPUs, so CPU-bound numbers are lower and noisier than on an "
                     "idle machine\n", setup.load_average, setup.cpus);
}

// One table per workload, so that speedups are against a run of the same work.
std::vector<std::vector<analysis::Report>> by_workload(const std::vector<analysis::Report>& reports) {
  std::vector<std::vector<analysis::Report>> out;
  for (const auto& r : reports) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& group) {
      return group.front().facts.workload_description == r.facts.workload_description;
    });
    if (it == out.end()) it = out.insert(out.end(), std::vector<analysis::Report>{});
    it->push_back(r);
  }
  return out;
}

std::string summary_text(const Setup& setup, const std::vector<Trial>& trials, const Summary& summary) {
  std::string out = fmt::format("{}\n{} CPUs, launcher {}\n{}\n", summary.title, setup.cpus, setup.launcher.program,
                                load_note(setup));
  for (const auto& line : summary.conclusions) out += line + "\n";
  for (const auto& same_work : by_workload(reports_of(trials)))
    out += fmt::format("\n{}\n{}", same_work.front().facts.workload_description, analysis::compare_table(same_work));
  for (const auto& t : trials) out += footnote(t);
  return out;
}

nlohmann::json trial_json(const Setup& setup, const Trial& t) {
  const auto& c = t.config;
  return {{"name", c.name},
          {"series", c.series},
          {"ranks", c.layout.ranks},
          {"threads", c.layout.threads},
          {"command", shell_line(launch_command(setup.launcher, c.layout, setup.cpus,
                                                run_program(setup.exe, c, setup.folder)))},
          {"log", log_of(setup, c)},
          {"exit_code", t.outcome.exit_code},
          {"launch_seconds", t.outcome.seconds},
          {"stopped", t.outcome.stopped},
          {"stop_requested", t.outcome.requested},
          {"lost", t.lost},
          {"report", t.report ? nlohmann::json::parse(analysis::to_json(*t.report)) : nlohmann::json()}};
}

std::string summary_json(const Setup& setup, const std::vector<Trial>& trials, const Summary& summary) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& t : trials) runs.push_back(trial_json(setup, t));
  nlohmann::json recommended;
  if (summary.recommended)
    recommended = {{"ranks", summary.recommended->ranks}, {"threads", summary.recommended->threads}};
  const nlohmann::json out = {{"title", summary.title},
                              {"cpus", setup.cpus},
                              {"load_average", setup.load_average},
                              {"launcher", setup.launcher.program},
                              {"conclusions", summary.conclusions},
                              {"recommended", recommended},
                              {"input", summary.input.empty() ? nlohmann::json() : nlohmann::json(summary.input)},
                              {"runs", runs}};
  return out.dump(2) + "\n";
}

// The folder's index.html: the conclusions, the charts, the tables and each run's files (its report
// and plot only where a study wrote them).
analysis::IndexPage index_page(const std::vector<Trial>& trials, const Summary& summary, const std::string& charts,
                               bool plots) {
  analysis::IndexPage page{summary.title, summary.conclusions, charts, {}, {}};
  for (const auto& same_work : by_workload(reports_of(trials)))
    page.table += fmt::format("{}\n{}\n", same_work.front().facts.workload_description, analysis::compare_table(same_work));
  for (const auto& t : trials) {
    analysis::IndexRun run{t.config.name, fmt::format("{} ({}): {}", describe(t.config.layout), t.config.series, progress(t)), {}};
    if (plots && t.report) run.links = {{"report", t.config.name + ".html"}, {"plot", t.config.name + ".svg"}};
    if (t.report) run.links.push_back({"timeline", t.config.name + ".h5"});
    run.links.push_back({"log", t.config.name + ".log"});
    page.runs.push_back(std::move(run));
  }
  return page;
}

}  // namespace

Setup make_setup(const std::string& launcher, const std::string& folder) {
  const auto picked = pick_launcher(launcher);
  check_launcher(picked);
  return {picked, available_cpus(), folder, fs::read_symlink("/proc/self/exe").string(),
          load_average()};
}

std::string default_folder(const std::string& what) {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return fmt::format("hybridscope-{}-{:%Y%m%dT%H%M%SZ}", what, now);
}

std::vector<std::string> input_args(const std::string& input, const std::vector<std::string>& sets) {
  std::vector<std::string> args{input};
  for (const auto& s : sets) args.insert(args.end(), {"--set", s});
  return args;
}

void check_input(const std::string& input, const std::vector<std::string>& sets) {
  std::vector<Override> overrides;
  for (const auto& s : sets) overrides.push_back(parse_override(s));
  auto config = parse_config(read_input_file(input), input, overrides);
  if (config.workload.kind != WorkloadKind::command) return;
  std::vector<std::string> warnings;
  resolve_tasks(config, input, warnings);
  if (!config.workload.output.empty())
    throw InputError(fmt::format("{}: key 'workload.output' = \"{}\": every run of the study would write there "
                                 "(accepted: a farm input without workload.output: each run keeps its tasks' "
                                 "output beside its own timeline)", input, config.workload.output));
  log::warning(fmt::format("{} is a task farm: every run of this comparison runs its {} tasks again", input,
                           config.items));
}

std::vector<std::string> run_program(const std::string& exe, const Configuration& c, const std::string& folder) {
  std::vector<std::string> argv{exe, "run"};
  argv.insert(argv.end(), c.run_args.begin(), c.run_args.end());
  argv.insert(argv.end(), {"--set", fmt::format("threads={}", c.layout.threads)});
  if (!folder.empty()) argv.insert(argv.end(), {"-o", (fs::path(folder) / (c.name + ".h5")).string()});
  return argv;
}

void prepare_folder(const Setup& setup, const std::vector<Configuration>& configurations, bool plots) {
  std::vector<std::string> files(std::begin(kSummaryFiles), std::end(kSummaryFiles));
  for (const auto& c : configurations)
    for (const char* extension : {".h5", ".log", ".svg", ".html"})
      if (plots || extension == std::string(".h5") || extension == std::string(".log")) files.push_back(c.name + extension);
  for (const auto& file : files)
    if (fs::exists(in_folder(setup, file)))
      throw InputError(fmt::format("output folder '{}': '{}' exists (accepted: a new folder, or one "
                                   "without the study's files; nothing is overwritten)", setup.folder, file));
  std::error_code error;
  fs::create_directories(setup.folder, error);
  if (error || !fs::is_directory(setup.folder))
    throw InputError(fmt::format("output folder '{}': cannot create it: {} (accepted: a new or existing "
                                 "folder in a writable place)", setup.folder, error.message()));
}

Trial run_trial(const Setup& setup, const Configuration& c, double limit_s) {
  fmt::print("{:<22} {:<22} ", c.name, describe(c.layout));
  std::fflush(stdout);
  const auto command = launch_command(setup.launcher, c.layout, setup.cpus, run_program(setup.exe, c, setup.folder));
  Trial t{c, launch(command, log_of(setup, c), limit_s), std::nullopt, false};
  if (!t.outcome.stopped && t.outcome.exit_code != 0) {
    fmt::print("failed\n");
    throw Error(fmt::format("{} failed with exit code {}: {} (all of the launcher's output: {})", c.name,
                            t.outcome.exit_code, what_failed(log_of(setup, c)), log_of(setup, c)));
  }
  if (fs::exists(timeline_of(setup, c)))
    t.report = analysis::analyse(timeline::load(timeline_of(setup, c), timeline::Load::summary));
  fmt::print("{}\n", progress(t));
  return t;
}

void write_results(const Setup& setup, const std::vector<Trial>& trials, const Summary& summary, bool plots) {
  const std::string text = summary_text(setup, trials, summary);
  write_new_file(in_folder(setup, "summary.txt"), text);
  write_new_file(in_folder(setup, "summary.json"), summary_json(setup, trials, summary));
  const auto reports = reports_of(trials);
  const auto charts = reports.empty() ? std::string() : analysis::compare_svg(reports);
  if (!reports.empty()) write_new_file(in_folder(setup, "compare.svg"), charts);
  for (const auto& t : trials)
    if (plots && t.report) {
      const auto loaded = timeline::load(timeline_of(setup, t.config), timeline::Load::intervals_with_items);
      write_new_file(in_folder(setup, t.config.name + ".svg"), analysis::plot_svg(loaded, {}));
      write_new_file(in_folder(setup, t.config.name + ".html"), analysis::report_html(loaded, analysis::analyse(loaded)));
    }
  write_new_file(in_folder(setup, "index.html"), analysis::index_html(index_page(trials, summary, charts, plots)));
  fmt::print("\n{}\nresults    {}\n", text, setup.folder);
}

}  // namespace hybridscope::study
