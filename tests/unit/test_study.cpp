// The pure parts of study and advise: candidate layouts, the launcher command (srun or mpiexec,
// bound when the workers fit, unbound and oversubscribed when they do not), how long a trial may run
// (its budget share, or until it clearly loses), the choice of the recommended trial; and spawning
// without a shell under a time limit.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "hybridscope/core/error.hpp"
#include "hybridscope/study/advise.hpp"
#include "hybridscope/study/launch.hpp"

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

TEST(ShellLine, QuotesWhatAShellWouldInterpret) {
  const Command c{{{"OMP_PLACES", "cores"}}, {"mpirun", "-np", "2", "run", "my input.toml", "--set", "a='x'", "$(id)"}};
  EXPECT_EQ(shell_line(c), "OMP_PLACES=cores mpirun -np 2 run 'my input.toml' --set 'a='\\''x'\\''' '$(id)'");
}

TEST(TrialLimit, ShareOfTheBudgetUntilATrialFinishedThenUntilClearlyLosing) {
  const auto first = trial_limit(30, 3, std::nullopt);
  EXPECT_DOUBLE_EQ(first.seconds, 10);
  EXPECT_FALSE(first.losing);
  // The best finished trial took 2 s: 1.5 x 2 + 1 = 4 s is where a trial has clearly lost.
  const auto next = trial_limit(28, 2, 2.0);
  EXPECT_DOUBLE_EQ(next.seconds, 4);
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
  t.report->info.complete = complete;
  t.report->info.items_done = items_per_second > 0 ? 10 : 0;
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
  EXPECT_EQ(o.exit_code, 128 + SIGUSR1);
  EXPECT_LT(o.seconds, 5);
}

TEST_F(Launch, EscalatesToSigkillWhenTheStopSignalIsIgnored) {
  const auto o = launch({{}, {"sh", "-c", "trap '' USR1 TERM; sleep 30"}}, log("stubborn.log"), 0.1);
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.exit_code, 128 + SIGKILL);
  EXPECT_LT(o.seconds, stop_grace_seconds() + 3);
}

TEST_F(Launch, NeverOverwritesALogAndNamesAMissingLauncher) {
  EXPECT_EQ(launch({{}, {"true"}}, log("once.log"), 10).exit_code, 0);
  EXPECT_THROW(launch({{}, {"true"}}, log("once.log"), 10), Error);
  EXPECT_THROW(launch({{}, {"no-such-launcher-hybridscope"}}, log("missing.log"), 10), Error);
}

}  // namespace
}  // namespace hybridscope::study
