// Progress while a run goes: the numbers and words of the progress line, the status file and its
// atomic replacement, the static shares, and what `hybridscope watch` makes of a status.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hybridscope/analysis/watch.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/run/progress.hpp"
#include "hybridscope/sched/plan.hpp"
#include "hybridscope/timeline/status.hpp"
#include "temp_dir.hpp"

namespace hybridscope {
namespace {

using timeline::Status;

Status two_ranks() {
  Status s;
  s.timeline = "/data/run.h5";
  s.strategy = "static-block";
  s.workload = "sleep";
  s.ranks = 2;
  s.threads = 2;
  s.hosts = {"node1"};
  s.planned = 120;
  s.done = 37;
  s.elapsed_s = 3.0;
  s.heartbeat_unix = 1000;
  s.rank_status = {{0, "node1", 25, 60, 0.99, 0}, {1, "node1", 12, 60, 0.5, 0}};
  return s;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ProgressFormat, Durations) {
  EXPECT_EQ(timeline::format_duration(0.0), "0:00");
  EXPECT_EQ(timeline::format_duration(7.4), "0:07");
  EXPECT_EQ(timeline::format_duration(65.0), "1:05");
  EXPECT_EQ(timeline::format_duration(3723.0), "1:02:03");
  EXPECT_EQ(timeline::format_duration(std::nullopt), "?");
  EXPECT_EQ(timeline::format_duration(-1.0), "?");
}

TEST(ProgressFormat, EtaFromTheAverageRate) {
  auto s = two_ranks();
  ASSERT_TRUE(s.eta_s());
  EXPECT_NEAR(*s.eta_s(), 3.0 * 83 / 37, 1e-9);
  s.done = 0;
  EXPECT_FALSE(s.eta_s()) << "no item done: no rate to extrapolate";
  s.done = 120;
  EXPECT_EQ(*s.eta_s(), 0.0);
}

TEST(ProgressFormat, LineNamesDoneOverPlannedRateElapsedEtaAndTheSlowestRank) {
  EXPECT_EQ(timeline::progress_line(two_ranks()),
            "37/120 items (30%)  12.3 items/s  elapsed 0:03  ETA 0:07  slowest rank 1: 20%");
  auto one = two_ranks();
  one.ranks = 1;
  one.rank_status.resize(1);
  EXPECT_EQ(timeline::progress_line(one).find("slowest"), std::string::npos) << "one rank: nothing to compare";
}

TEST(ProgressFormat, SlowestRankAgainstItsStaticShareElseAnEvenSplit) {
  auto s = two_ranks();
  s.rank_status[0].planned = 100;  // 25 of 100
  s.rank_status[1].planned = 20;   // 12 of 20
  EXPECT_EQ(timeline::slowest_rank(s), (std::pair{0, 0.25}));
  s.rank_status[0].planned.reset();  // 25 of an even 60
  s.rank_status[1].planned.reset();  // 12 of 60
  EXPECT_EQ(timeline::slowest_rank(s), (std::pair{1, 0.2}));
}

TEST(StatusFile, RoundTripsThroughJson) {
  auto s = two_ranks();
  s.history = {{10, 20, 0.75}, {20, 37, 0.5}};
  s.rank_status[1].planned.reset();
  const auto back = timeline::parse_status(timeline::to_json(s), "x");
  EXPECT_EQ(timeline::to_json(back), timeline::to_json(s));
  EXPECT_FALSE(back.rank_status[1].planned);
  EXPECT_EQ(back.history[1].done, 37u);
}

TEST(StatusFile, RefusesWhatIsNotOneWithTheFileNamed) {
  for (const std::string text : {"{", "[]", R"({"format": "other"})",
                                 R"({"format": "hybridscope-status", "version": 99})",
                                 R"({"format": "hybridscope-status", "version": 1})"}) {
    try {
      timeline::parse_status(text, "job.h5.status.json");
      ADD_FAILURE() << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("job.h5.status.json: "), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("accepted:"), std::string::npos) << e.what();
    }
  }
}

TEST(StatusFile, ReplacedWholeWithoutTemporaryFilesLeft) {
  test_support::TempDir dir;
  const auto path = (dir.path() / "run.h5.status.json").string();
  auto s = two_ranks();
  ASSERT_TRUE(timeline::replace_status_file(path, s));
  s.done = 40;
  ASSERT_TRUE(timeline::replace_status_file(path, s));
  EXPECT_EQ(timeline::parse_status(read_file(path), path).done, 40u);
  EXPECT_EQ(dir.entries().size(), 1u);
  EXPECT_FALSE(timeline::replace_status_file((dir.path() / "missing" / "x.status.json").string(), s));
}

TEST(StatusFile, MarkedEndedWithOutcomeAndExitCode) {
  test_support::TempDir dir;
  const auto path = (dir.path() / "run.h5.status.json").string();
  ASSERT_TRUE(timeline::replace_status_file(path, two_ranks()));
  mark_status_ended(path, "stopped by SIGTERM", 143, 50);
  const auto s = timeline::parse_status(read_file(path), path);
  EXPECT_EQ(s.state, "ended");
  EXPECT_EQ(s.outcome, "stopped by SIGTERM");
  EXPECT_EQ(s.exit_code, 143);
  EXPECT_EQ(s.done, 50u);
  mark_status_ended((dir.path() / "none.status.json").string(), "complete", 0);  // no file: nothing to do
  EXPECT_EQ(dir.entries().size(), 1u);
}

TEST(StaticShares, AddUpToThePlanForEveryStrategyAndShape) {
  for (auto strategy : {Strategy::static_block, Strategy::static_cyclic})
    for (std::uint64_t items : {1, 7, 100, 101})
      for (std::uint64_t chunk : {1, 3, 10})
        for (int ranks : {1, 3, 8}) {
          const sched::ChunkPlan plan(items, std::min(chunk, items), strategy, ranks);
          std::uint64_t sum = 0;
          for (int r = 0; r < ranks; ++r) {
            std::uint64_t walked = 0;
            sched::StaticAssignment a(plan, strategy, r, ranks);
            while (auto c = a.next()) walked += plan.chunk(*c).size();
            EXPECT_EQ(sched::static_items(plan, strategy, r, ranks), walked)
                << items << " items, chunk " << chunk << ", rank " << r << " of " << ranks;
            sum += walked;
          }
          EXPECT_EQ(sum, items);
        }
}

TEST(Watch, StalledWhenTheHeartbeatStops) {
  const auto s = two_ranks();  // heartbeat at 1000 s
  EXPECT_EQ(analysis::judge(s, 0, false, 1005, 30).name, "running");
  EXPECT_EQ(analysis::judge(s, 0, false, 1031, 30).name, "stalled") << "first look: an old heartbeat";
  EXPECT_EQ(analysis::judge(s, 31, true, 1031, 30).name, "stalled") << "watched: it did not change";
  EXPECT_EQ(analysis::judge(s, 1, true, 5000, 30).name, "running") << "a clock skew does not stall a live job";
  EXPECT_EQ(analysis::judge(s, 31, true, 1031, 30).silent_s, 31);
  auto ended = s;
  ended.state = "ended";
  EXPECT_EQ(analysis::judge(ended, 100, true, 9999, 30).name, "ended");
}

TEST(Watch, ViewHasABarPerRankAndTheState) {
  const auto view = analysis::render_watch(two_ranks(), {"stalled", 42}, "run.h5.status.json");
  EXPECT_NE(view.find("STALLED: no heartbeat for 42 s"), std::string::npos) << view;
  EXPECT_NE(view.find("rank 0 node1 ["), std::string::npos) << view;
  EXPECT_NE(view.find("rank 1 node1 ["), std::string::npos) << view;
  EXPECT_NE(view.find("37/120 items"), std::string::npos) << view;
}

TEST(Watch, UtilisationOfTheRecentPastFromTheHistory) {
  auto s = two_ranks();
  s.history = {{10, 5, 0.0}, {20, 10, 0.5}, {30, 20, 1.0}};
  const auto view = analysis::render_watch(s, {"running", 0}, "x");
  EXPECT_NE(view.find("busy       last 0:30: | +@| now 100%"), std::string::npos) << view;
  EXPECT_EQ(analysis::render_watch(two_ranks(), {"running", 0}, "x").find("busy       last"), std::string::npos)
      << "no history yet, no line";
}

TEST(Watch, ABarPerNodeWhenThereAreManyRanks) {
  auto s = two_ranks();
  s.ranks = 40;
  s.nodes = 2;
  s.rank_status.clear();
  for (int r = 0; r < 40; ++r) s.rank_status.push_back({r, r < 20 ? "a" : "b", 1, 3, 1.0, 0});
  const auto view = analysis::render_watch(s, {"running", 0}, "x");
  EXPECT_NE(view.find("node a ["), std::string::npos) << view;
  EXPECT_NE(view.find("node b ["), std::string::npos) << view;
  EXPECT_EQ(view.find("rank 0 a"), std::string::npos) << view;
}

TEST(Watch, FindsTheStatusFileFromTheTimelineOrItsName) {
  test_support::TempDir dir;
  const auto status = (dir.path() / "run.h5.status.json").string();
  ASSERT_TRUE(timeline::replace_status_file(status, two_ranks()));
  EXPECT_EQ(analysis::find_status_file(status), status);
  EXPECT_EQ(analysis::find_status_file((dir.path() / "run.h5").string()), status);
  EXPECT_EQ(analysis::find_status_file((dir.path() / "run").string()), status);
  try {
    analysis::find_status_file((dir.path() / "other.h5").string());
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("other.h5.status.json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hybridscope
