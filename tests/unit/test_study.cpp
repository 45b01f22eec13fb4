// The pure parts of study and advise: candidate layouts, the launcher command (srun or mpiexec,
// bound when the workers fit, unbound and oversubscribed when they do not), how long a trial may run
// (its budget share, or until it clearly loses), the choice of the recommended trial; and spawning
// without a shell under a time limit.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/stop.hpp"
#include "hybridscope/study/advise.hpp"
#include "hybridscope/study/launch.hpp"
#include "hybridscope/study/studies.hpp"

namespace hybridscope::study {
namespace {

using Strings = std::vector<std::string>;
using Env = std::vector<std::pair<std::string, std::string>>;

TEST(Layouts, EverySplitOfTheWorkersFromAllThreadsToAllProcesses) {
  EXPECT_EQ(layouts_of(1), (std::vector<Layout>{{1, 1}}));
  EXPECT_EQ(layouts_of(4), (std::vector<Layout>{{1, 4}, {2, 2}, {4, 1}}));
  EXPECT_EQ(layouts_of(7), (std::vector<Layout>{{1, 7}, {7, 1}}));
  for (int workers = 1; workers <= 64; ++workers) {
    const auto layouts = layouts_of(workers);
    ASSERT_FALSE(layouts.empty());
    EXPECT_EQ(layouts.front(), (Layout{1, workers}));
    EXPECT_EQ(layouts.back(), (Layout{workers, 1}));
    for (const auto& l : layouts) EXPECT_EQ(l.workers(), workers);
  }
  EXPECT_EQ(layouts_of(12).size(), 6u);
}

TEST(LaunchCommand, MpiexecBindsRanksToCpusOfTheirOwnWhenTheWorkersFit) {
  const auto c = launch_command({LauncherKind::mpiexec, "mpiexec"}, {2, 2}, 4, {"hs", "run"});
  EXPECT_EQ(c.argv, (Strings{"mpiexec", "-np", "2", "--use-hwthread-cpus", "--map-by", "slot:PE=2", "--bind-to",
                             "hwthread", "hs", "run"}));
  EXPECT_EQ(c.env, (Env{{"OMP_PLACES", "threads"}, {"OMP_PROC_BIND", "close"}}));
}

TEST(LaunchCommand, MpiexecBindsNothingWhenOversubscribed) {
  const auto c = launch_command({LauncherKind::mpiexec, "/opt/mpi/bin/mpiexec"}, {8, 1}, 2, {"hs"});
  EXPECT_EQ(c.argv, (Strings{"/opt/mpi/bin/mpiexec", "-np", "8", "--oversubscribe", "--bind-to", "none", "hs"}));
  EXPECT_EQ(c.env, (Env{{"OMP_PROC_BIND", "false"}}));
  // Threads beyond the CPUs in one rank are oversubscription too.
  EXPECT_EQ(launch_command({LauncherKind::mpiexec, "mpiexec"}, {1, 4}, 2, {}).argv,
            (Strings{"mpiexec", "-np", "1", "--oversubscribe", "--bind-to", "none"}));
}

TEST(LaunchCommand, SrunStepsGetExactlyTheirCpusOrOvercommitWithinTheAllocation) {
  const auto fits = launch_command({LauncherKind::srun, "srun"}, {1, 4}, 4, {"hs"});
  EXPECT_EQ(fits.argv, (Strings{"srun", "--mpi=pmix", "--ntasks=1", "--cpus-per-task=4", "--exact", "hs"}));
  // Slurm binds the tasks only where its task plugin does: threads are never pinned to places
  // that unbound ranks would all share.
  EXPECT_EQ(fits.env, (Env{{"OMP_PROC_BIND", "false"}}));
  const auto crowded = launch_command({LauncherKind::srun, "srun"}, {2, 4}, 4, {"hs"});
  EXPECT_EQ(crowded.argv, (Strings{"srun", "--mpi=pmix", "--ntasks=2", "--cpus-per-task=2", "--overcommit",
                                   "--cpu-bind=none", "hs"}));
  EXPECT_EQ(crowded.env, (Env{{"OMP_PROC_BIND", "false"}}));
  // A step never asks for more CPUs than the allocation has: tasks x CPUs per task <= cpus, at least 1.
  EXPECT_EQ(launch_command({LauncherKind::srun, "srun"}, {1, 8}, 2, {}).argv.at(3), "--cpus-per-task=2");
  EXPECT_EQ(launch_command({LauncherKind::srun, "srun"}, {8, 1}, 2, {}).argv.at(3), "--cpus-per-task=1");
  EXPECT_EQ(launch_command({LauncherKind::srun, "srun"}, {3, 2}, 4, {}).argv.at(3), "--cpus-per-task=1");
}

// Sets or unsets an environment variable for one test.
class ScopedEnv {
public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(PickLauncher, SrunInsideAnAllocationMpiexecElsewhereOverridable) {
  ScopedEnv no_override("HYBRIDSCOPE_LAUNCHER", nullptr);
  {
    ScopedEnv outside("SLURM_JOB_ID", nullptr);
    const auto l = pick_launcher("");
    EXPECT_EQ(l.kind, LauncherKind::mpiexec);
    EXPECT_EQ(l.program, "mpiexec");
    EXPECT_EQ(pick_launcher("/usr/bin/mpiexec.openmpi").program, "/usr/bin/mpiexec.openmpi");
  }
  ScopedEnv inside("SLURM_JOB_ID", "42");
  EXPECT_EQ(pick_launcher("").kind, LauncherKind::srun);
  EXPECT_EQ(pick_launcher("").program, "srun");
  ScopedEnv from_env("HYBRIDSCOPE_LAUNCHER", "/site/bin/srun");
  EXPECT_EQ(pick_launcher("").program, "/site/bin/srun");
  EXPECT_EQ(pick_launcher("/mine/srun").program, "/mine/srun");  // the option wins
}

TEST(CheckLauncher, FindsItByPathOrOnPathElseSaysWhatIsAccepted) {
  EXPECT_NO_THROW(check_launcher({LauncherKind::mpiexec, "sh"}));
  EXPECT_NO_THROW(check_launcher({LauncherKind::mpiexec, "/bin/sh"}));
  try {
    check_launcher({LauncherKind::srun, "/no/such/srun"});
    FAIL() << "a missing launcher was accepted";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "launcher '/no/such/srun' not found (accepted: srun on PATH, or its path in --launcher "
                           "or HYBRIDSCOPE_LAUNCHER)");
  }
  EXPECT_THROW(check_launcher({LauncherKind::mpiexec, "no-such-launcher-hybridscope"}), InputError);
  const auto plain = std::filesystem::temp_directory_path() / ("hybridscope-plain-" + std::to_string(::getpid()));
  std::ofstream(plain) << "not a program\n";
  std::filesystem::permissions(plain, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_THROW(check_launcher({LauncherKind::mpiexec, plain.string()}), InputError);  // not executable
  std::filesystem::remove(plain);
  EXPECT_THROW(check_launcher({LauncherKind::mpiexec, "/tmp"}), InputError);  // a folder
}

TEST(ShellLine, QuotesWhatAShellWouldInterpret) {
  const Command c{{{"OMP_PLACES", "cores"}}, {"mpirun", "-np", "2", "run", "my input.toml", "--set", "a='x'", "$(id)"}};
  EXPECT_EQ(shell_line(c), "OMP_PLACES=cores mpirun -np 2 run 'my input.toml' --set 'a='\\''x'\\''' '$(id)'");
}

TEST(TrialLimit, ShareOfTheBudgetUntilATrialFinishedThenUntilClearlyLosing) {
  const auto first = trial_limit(30, 3, std::nullopt);
  EXPECT_DOUBLE_EQ(first.seconds, 10);
  EXPECT_FALSE(first.losing);
  // The best finished trial took 2 s: 2 x 2 + 2 = 6 s is where a trial has clearly lost.
  const auto next = trial_limit(28, 2, 2.0);
  EXPECT_DOUBLE_EQ(next.seconds, 6);
  EXPECT_TRUE(next.losing);
  // A slow best leaves the budget share as the limit.
  const auto slow = trial_limit(20, 2, 9.0);
  EXPECT_DOUBLE_EQ(slow.seconds, 10);
  EXPECT_FALSE(slow.losing);
  EXPECT_DOUBLE_EQ(trial_limit(5, 0, std::nullopt).seconds, 5);
}

Trial trial(int ranks, bool complete, double items_per_second, bool lost = false) {
  Trial t;
  t.config.layout = {ranks, 1};
  t.lost = lost;
  t.report.emplace();
  t.report->summary.complete = complete;
  t.report->summary.items_done = items_per_second > 0 ? 10 : 0;
  t.report->items_per_second = items_per_second;
  return t;
}

TEST(Choose, CompleteRunsFirstThenMostItemsPerSecondNeverALoser) {
  std::vector<Trial> trials{trial(1, true, 100), trial(2, false, 500), trial(3, true, 120),
                            trial(4, true, 900, true), trial(5, true, 0)};
  trials.push_back(Trial{});  // no timeline
  const auto c = choose(trials);
  EXPECT_EQ(c.best, 2u);
  EXPECT_EQ(c.runner_up, 0u);
  const auto only_partial = choose({trial(1, false, 50), trial(2, false, 80)});
  EXPECT_EQ(only_partial.best, 1u);
  EXPECT_EQ(only_partial.runner_up, 0u);
  EXPECT_FALSE(choose({trial(1, true, 10, true)}).best.has_value());
}

TEST(DefineStudy, LayoutsPerStudyAndSizesFromTheCpus) {
  const auto names = [](const Study& s) {
    Strings out;
    for (const auto& c : s.configurations) out.push_back(c.name);
    return out;
  };
  EXPECT_EQ(names(define_study({.name = "gil"}, 2)).size(), 14u);  // 1-8 threads and ranks, gil and spin
  EXPECT_EQ(names(define_study({.name = "fib"}, 2)), (Strings{"fib-1x4", "fib-2x2", "fib-4x1"}));
  // cpu-vs-io: up to 8 workers per CPU by default, never beyond 64; --max-workers caps it.
  EXPECT_EQ(names(define_study({.name = "cpu-vs-io"}, 2)).back(), "io-16x1");
  EXPECT_EQ(names(define_study({.name = "cpu-vs-io"}, 16)).back(), "io-64x1");
  EXPECT_EQ(names(define_study({.name = "cpu-vs-io", .max_workers = 4}, 16)).back(), "io-4x1");
  EXPECT_EQ(names(define_study({.name = "imbalance"}, 1)),
            (Strings{"static-block-2x1", "static-cyclic-2x1", "dynamic-2x1", "guided-2x1"}));
  // fib(40) by default; --scale: fib(n + 1) takes the golden ratio times as long as fib(n).
  EXPECT_EQ(define_study({.name = "fib"}, 2).configurations[0].run_args.back(), "workload.n=40");
  EXPECT_EQ(define_study({.name = "fib", .scale = 1.618}, 2).configurations[0].run_args.back(), "workload.n=41");
  EXPECT_EQ(define_study({.name = "gil", .scale = 0.4}, 2).configurations[0].run_args.at(5), "workload.seconds=0.02");
  EXPECT_THROW(define_study({.name = "gill"}, 2), InputError);
}

// A study of the user's deck: every split of 1, 2, 4, ... workers, each a run of the deck (by its
// absolute path) with the --set overrides; bad decks and options that cannot apply are refused.
TEST(DefineStudy, ADeckRunsThreadsProcessesAndHybridsOfItself) {
  const std::string deck = HYBRIDSCOPE_SOURCE_DIR "/inputs/demo.toml";
  const auto study = define_study({.name = deck, .sets = {"items=8"}}, 2);
  Strings names, series;
  for (const auto& c : study.configurations) {
    names.push_back(c.name);
    series.push_back(c.series);
    EXPECT_EQ(c.run_args, (Strings{std::filesystem::absolute(deck).lexically_normal().string(), "--set", "items=8"}));
  }
  EXPECT_EQ(names, (Strings{"demo-1x1", "demo-1x2", "demo-2x1", "demo-1x4", "demo-2x2", "demo-4x1"}));
  EXPECT_EQ(series, (Strings{"threads", "threads", "processes", "threads", "hybrid", "processes"}));
  EXPECT_EQ(study.stem, "demo");
  EXPECT_EQ(define_study({.name = deck, .max_workers = 2}, 2).configurations.size(), 3u);
  EXPECT_EQ(define_study({.name = deck}, 8).configurations.back().name, "demo-8x1");  // the CPUs beyond 4
  EXPECT_THROW(define_study({.name = deck, .scale = 0.5}, 2), InputError);
  EXPECT_THROW(define_study({.name = "fib", .sets = {"items=8"}}, 2), InputError);
  try {
    define_study({.name = "/nowhere/deck.toml"}, 2);
    ADD_FAILURE() << "a missing deck was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nowhere/deck.toml"), std::string::npos) << e.what();
  }
  EXPECT_THROW(define_study({.name = deck, .sets = {"no_such_key=1"}}, 2), InputError);
  // Built-in names win over files; a path ending in .toml is a deck even when it is missing.
  EXPECT_FALSE(is_deck("gil"));
  EXPECT_TRUE(is_deck("gil.toml"));
  EXPECT_TRUE(is_deck(HYBRIDSCOPE_SOURCE_DIR "/README.md"));
  EXPECT_FALSE(is_deck("gill"));
}

// A finished run of `workload` as `ranks` x `threads`, `wall` seconds, `busy` lanes in items on average.
Trial finished(const std::string& series, const std::string& workload, Layout layout, double wall, double busy,
               std::uint64_t checksum = 0xc0ffee) {
  Trial t;
  t.config = {"x", series, layout, {}};
  t.report.emplace();
  t.report->facts.layout = layout;
  t.report->facts.workload_description = workload;
  t.report->summary.wall_seconds = wall;
  t.report->summary.complete = true;
  t.report->summary.checksum = checksum;
  t.report->efficiency.overall.parallel = busy / layout.workers();
  return t;
}

bool has(const Strings& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(), [&](const auto& l) { return l.find(text) != std::string::npos; });
}

TEST(Conclude, SaysWhatLimitsEachSeries) {
  std::vector<Trial> trials;
  for (int n : {1, 2, 4, 8}) {
    trials.push_back(finished("gil, threads", "gil", {1, n}, 1.0, 1.0));                // flat: the lock
    trials.push_back(finished("spin, threads", "spin", {1, n}, 1.0 / std::min(n, 2), n));  // the CPUs
    trials.push_back(finished("io, threads", "sleep", {1, n}, 1.0 / n, n));               // waits overlap
  }
  const auto lines = conclude(trials, 2);
  EXPECT_TRUE(has(lines, "gil, threads: 1.00x at 8 workers against 1 (best 1.00x at 1), 1.0 of 8 workers inside "
                         "an item on average: does not scale: about one worker per rank at a time is inside an "
                         "item, so its threads take turns (a lock)")) << lines[0];
  EXPECT_TRUE(has(lines, "spin, threads: 2.00x at 8 workers against 1 (best 2.00x at 2), 8.0 of 8 workers inside "
                         "an item on average: limited by the 2 CPUs"));
  EXPECT_TRUE(has(lines, "io, threads: 8.00x at 8 workers against 1 (best 8.00x at 8), 8.0 of 8 workers inside "
                         "an item on average: scales past the 2 CPUs"));
  EXPECT_TRUE(has(lines, "gil: checksum 0000000000c0ffee in all 4 complete runs"));
  EXPECT_TRUE(has(lines, "6 of 12 runs had more workers than the 2 CPUs"));
  // A run stopped before its end is left out: its wall time is no speed.
  auto stopped = finished("io, threads", "sleep", {1, 16}, 0.01, 16);
  stopped.report->summary.complete = false;
  trials.push_back(stopped);
  EXPECT_TRUE(has(conclude(trials, 2), "io, threads: 8.00x at 8 workers"));
  trials.pop_back();
  // On 8 CPUs the same spin numbers are not the CPUs' doing.
  EXPECT_TRUE(has(conclude(trials, 8), "spin, threads: 2.00x at 8 workers against 1 (best 2.00x at 2), 8.0 of 8 "
                                       "workers inside an item on average: does not scale within the 8 CPUs "
                                       "although its workers were inside items"));
}

TEST(Conclude, SameWorkersComparesLayoutsAndFlagsDifferentChecksums) {
  const std::vector<Trial> trials{finished("threads", "fib 30", {1, 4}, 2.0, 4),
                                  finished("hybrid", "fib 30", {2, 2}, 1.5, 4),
                                  finished("processes", "fib 30", {4, 1}, 3.0, 4, 0xbad)};
  const auto lines = conclude(trials, 4);
  EXPECT_TRUE(has(lines, "hybrid (2x2): wall 1.500 s"));
  EXPECT_TRUE(has(lines, "fastest: x (1.500 s); slowest: x (3.000 s, 2.00x as long)"));
  EXPECT_TRUE(has(lines, "fib 30: checksums DIFFER (0000000000000bad, 0000000000c0ffee): an item was lost or done twice"));
  EXPECT_FALSE(has(lines, "oversubscribed"));
}

// The same work at several worker counts (a deck's study): the fastest layout at each count.
TEST(Conclude, SameWorkAtSeveralCountsNamesTheFastestLayoutAtEach) {
  auto trials = std::vector<Trial>{finished("threads", "python", {1, 1}, 2.0, 1),
                                   finished("threads", "python", {1, 2}, 2.0, 1),
                                   finished("processes", "python", {2, 1}, 1.0, 2)};
  trials[1].config.name = "p-1x2";
  trials[2].config.name = "p-2x1";
  const auto lines = conclude(trials, 2);
  EXPECT_TRUE(has(lines, "2 workers, fastest: p-2x1 (1.000 s); slowest: p-1x2 (2.000 s, 2.00x as long)"));
  EXPECT_FALSE(has(lines, "1 workers, "));  // one layout of 1 worker: nothing to compare
  // Different work (a built-in study's two kernels): no per-count comparison.
  trials.push_back(finished("spin, threads", "spin", {1, 2}, 1.0, 2));
  EXPECT_FALSE(has(conclude(trials, 2), "2 workers, fastest"));
}

class Launch : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hybridscope-launch-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string log(const std::string& name) const { return (dir_ / name).string(); }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  std::filesystem::path dir_;
};

TEST_F(Launch, ArgumentsReachTheProgramAsTheyAreWithTheEnvironment) {
  const auto o = launch({{{"HS_TEST", "a b"}}, {"sh", "-c", "echo \"$HS_TEST\" \"$0\"", "$(touch x); y"}},
                        log("echo.log"), 10);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_FALSE(o.stopped);
  EXPECT_EQ(read(log("echo.log")), "a b $(touch x); y\n");
  EXPECT_FALSE(std::filesystem::exists("x"));
}

TEST_F(Launch, StopsAProgramThatOverrunsItsLimit) {
  const auto o = launch({{}, {"sleep", "30"}}, log("sleep.log"), 0.2);
  EXPECT_TRUE(o.stopped);
  EXPECT_FALSE(o.requested);
  EXPECT_EQ(o.exit_code, 128 + SIGUSR1);
  EXPECT_LT(o.seconds, 20);  // it sleeps 30 s: ending well before proves it was stopped
}

// A stop request (Ctrl-C on hybridscope) is process-wide and cannot be taken back: in a child process.
TEST_F(Launch, ARequestedStopStopsTheProgramAndSaysSo) {
  const auto path = log("asked.log");
  EXPECT_EXIT(
      {
        stop::request(SIGINT);
        const auto o = launch({{}, {"sleep", "30"}}, path, 60);
        _exit(o.stopped && o.requested && o.exit_code == 128 + SIGUSR1 && o.seconds < 20 ? 0 : 3);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(Launch, EscalatesToSigkillWhenTheStopSignalIsIgnored) {
  const auto o = launch({{}, {"sh", "-c", "trap '' USR1 TERM; sleep 30"}}, log("stubborn.log"), 0.1);
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.exit_code, 128 + SIGKILL);
  EXPECT_LT(o.seconds, stop_grace_seconds() + 15);
}

// Dead or a zombie: what SIGKILL leaves until the parent reaps it.
bool ended(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  const auto close = text.rfind(')');
  return close == std::string::npos || text.substr(close + 2, 1) == "Z";
}

TEST_F(Launch, KillsStubbornProcessesInGroupsOfTheirOwnAsMpiexecStartsRanks) {
  const auto pid_file = log("rank.pid");
  const std::string rank = "echo $$ > '" + pid_file + "'; trap '' USR1 TERM; exec sleep 30";
  const auto o = launch({{}, {"sh", "-c", "trap '' USR1 TERM; setsid sh -c \"$0\" & wait", rank}}, log("tree.log"), 0.1);
  EXPECT_EQ(o.exit_code, 128 + SIGKILL);
  std::ifstream in(pid_file);
  pid_t pid = 0;
  ASSERT_TRUE(in >> pid) << read(log("tree.log"));
  // SIGKILL is sent before launch returns; the kernel ends the process right after.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!ended(pid) && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_TRUE(ended(pid)) << "process " << pid << " in its own group survived";
  if (!ended(pid)) ::kill(pid, SIGKILL);
}

TEST_F(Launch, NeverOverwritesALogAndNamesAMissingLauncher) {
  EXPECT_EQ(launch({{}, {"true"}}, log("once.log"), 10).exit_code, 0);
  EXPECT_THROW(launch({{}, {"true"}}, log("once.log"), 10), Error);
  EXPECT_THROW(launch({{}, {"no-such-launcher-hybridscope"}}, log("missing.log"), 10), Error);
}

}  // namespace
}  // namespace hybridscope::study
