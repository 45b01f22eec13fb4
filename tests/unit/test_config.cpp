// Input decks: every key parsed, overrides, canonical round trip, and one clear line for every
// kind of bad input.
#include <gtest/gtest.h>

#include <string>

#include "hybridscope/config/config.hpp"
#include "hybridscope/core/error.hpp"

namespace hybridscope {
namespace {

TEST(Config, EmptyTextGivesTheDefaults) {
  const auto c = parse_config("", "empty.toml");
  EXPECT_EQ(c.items, 64u);
  EXPECT_EQ(c.chunk, 1u);
  EXPECT_EQ(c.strategy, Strategy::dynamic);
  EXPECT_EQ(c.threads, 0);
  EXPECT_EQ(c.workload.kind, WorkloadKind::fib);
  EXPECT_EQ(c.workload.n, 30);
}

TEST(Config, ParsesEveryKeyOfEveryWorkload) {
  auto c = parse_config("items = 1000\nchunk = 7\nstrategy = \"guided\"\nthreads = 3\ncounter = \"rma\"\n"
                        "[workload]\nkind = \"irregular\"\nseconds = 2\ndistribution = \"bimodal\"\n"
                        "sigma = 0.5\nlong_fraction = 0.25\nlong_ratio = 20.0\nseed = 42\n", "a.toml");
  EXPECT_EQ(c.items, 1000u);
  EXPECT_EQ(c.chunk, 7u);
  EXPECT_EQ(c.strategy, Strategy::guided);
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.counter, CounterMode::rma);
  EXPECT_EQ(c.workload.kind, WorkloadKind::irregular);
  EXPECT_DOUBLE_EQ(c.workload.seconds, 2.0);  // an integer is accepted where seconds are expected
  EXPECT_EQ(c.workload.distribution, Distribution::bimodal);
  EXPECT_DOUBLE_EQ(c.workload.sigma, 0.5);
  EXPECT_DOUBLE_EQ(c.workload.long_fraction, 0.25);
  EXPECT_DOUBLE_EQ(c.workload.long_ratio, 20.0);
  EXPECT_EQ(c.workload.seed, 42u);

  c = parse_config("[workload]\nkind = \"file_io\"\nbytes = 4096\ndir = \"/scratch\"\n", "b.toml");
  EXPECT_EQ(c.workload.bytes, 4096u);
  EXPECT_EQ(c.workload.dir, "/scratch");
  c = parse_config("[workload]\nkind = \"triad\"\nelements = 1024\n", "c.toml");
  EXPECT_EQ(c.workload.elements, 1024u);
  c = parse_config("[workload]\nkind = \"gil\"\nseconds = 0.5\nswitch_interval = 0.001\n", "d.toml");
  EXPECT_DOUBLE_EQ(c.workload.switch_interval, 0.001);
  c = parse_config("strategy = \"static-cyclic\"\n[workload]\nkind = \"sleep\"\nseconds = 0.25\n", "e.toml");
  EXPECT_EQ(c.strategy, Strategy::static_cyclic);
  EXPECT_EQ(c.workload.kind, WorkloadKind::sleep);
}

TEST(Config, OverridesWinOverTheFileAndParseAsToml) {
  const auto c = parse_config("items = 10\n[workload]\nn = 20\n", "f.toml",
                              {parse_override("items=99"), parse_override("workload.n=25"),
                               parse_override("strategy=static-block"), parse_override("threads=2")});
  EXPECT_EQ(c.items, 99u);
  EXPECT_EQ(c.workload.n, 25);
  EXPECT_EQ(c.strategy, Strategy::static_block);  // a bare word is taken as a string
  EXPECT_EQ(c.threads, 2);
}

TEST(Config, AnOverrideCanSwitchTheWorkloadOfTheDefaultInput) {
  const auto c = parse_config(kDefaultInput, "built-in default",
                              {parse_override("workload.kind=sleep"), parse_override("workload.seconds=0.5")});
  EXPECT_EQ(c.workload.kind, WorkloadKind::sleep);
  EXPECT_DOUBLE_EQ(c.workload.seconds, 0.5);
}

TEST(Config, CanonicalTomlRoundTripsForEveryKind) {
  for (const char* text :
       {"items = 5\nchunk = 2\nstrategy = \"guided\"\n[workload]\nkind = \"fib\"\nn = 11\n",
        "threads = 4\n[workload]\nkind = \"spin\"\nseconds = 0.125\n",
        "counter = \"shared\"\n[workload]\nkind = \"sleep\"\nseconds = 3\n",
        "[workload]\nkind = \"file_io\"\nbytes = 77\ndir = \"/tmp/x y\"\n",
        "[workload]\nkind = \"triad\"\nelements = 999\n",
        "[workload]\nkind = \"gil\"\nseconds = 0.2\nswitch_interval = 0.002\n",
        "[workload]\nkind = \"irregular\"\ndistribution = \"uniform\"\nseed = 9\nsigma = 1.5\n"}) {
    const auto c = parse_config(text, "x.toml");
    const auto again = parse_config(to_toml(c), "canonical");
    EXPECT_EQ(to_toml(again), to_toml(c)) << text;
    EXPECT_EQ(again.items, c.items);
    EXPECT_EQ(again.workload.kind, c.workload.kind);
    EXPECT_EQ(again.workload.seconds, c.workload.seconds);
    EXPECT_EQ(again.workload.dir, c.workload.dir);
    EXPECT_EQ(again.workload.seed, c.workload.seed);
  }
}

TEST(Config, DescribeNamesTheWorkloadAndItsSize) {
  EXPECT_EQ(describe(parse_config("[workload]\nn = 12\n", "x").workload), "fib n=12");
  EXPECT_NE(describe(parse_config("[workload]\nkind = \"irregular\"\n", "x").workload).find("lognormal"),
            std::string::npos);
}

struct Bad {
  const char* name;
  const char* text;
  const char* override_text;  // nullptr: none
  const char* must_mention;   // the key or value the line must name
};

void PrintTo(const Bad& bad, std::ostream* os) { *os << bad.name; }

class BadInput : public ::testing::TestWithParam<Bad> {};

TEST_P(BadInput, GivesOneLineNamingOriginKeyValueAndWhatIsAccepted) {
  const auto& bad = GetParam();
  std::vector<Override> overrides;
  try {
    if (bad.override_text) overrides.push_back(parse_override(bad.override_text));
    parse_config(bad.text, "deck.toml", overrides);
    FAIL() << "accepted: " << bad.text;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(message.find(bad.override_text ? "--set" : "deck.toml"), std::string::npos) << message;
    EXPECT_NE(message.find(bad.must_mention), std::string::npos) << message;
    EXPECT_NE(message.find("accepted"), std::string::npos) << message;
  }
}

const Bad kBad[] = {
    {"unknown_top_key", "colour = 1\n", nullptr, "colour"},
    {"unknown_workload_key", "[workload]\nspeed = 3\n", nullptr, "workload.speed"},
    {"key_of_another_kind", "[workload]\nkind = \"sleep\"\nn = 3\n", nullptr, "workload.n"},
    {"items_string", "items = \"ten\"\n", nullptr, "items"},
    {"items_float", "items = 10.5\n", nullptr, "10.5"},
    {"items_zero", "items = 0\n", nullptr, "items"},
    {"items_negative", "items = -4\n", nullptr, "-4"},
    {"items_huge", "items = 1000000000001\n", nullptr, "1000000000001"},
    {"chunk_zero", "chunk = 0\n", nullptr, "chunk"},
    {"chunk_over_items", "items = 10\nchunk = 11\n", nullptr, "chunk"},
    {"threads_zero", "threads = 0\n", nullptr, "threads"},
    {"threads_huge", "threads = 5000\n", nullptr, "5000"},
    {"strategy_unknown", "strategy = \"round-robin\"\n", nullptr, "round-robin"},
    {"strategy_integer", "strategy = 3\n", nullptr, "strategy"},
    {"counter_unknown", "counter = \"mpi\"\n", nullptr, "counter"},
    {"kind_unknown", "[workload]\nkind = \"matmul\"\n", nullptr, "matmul"},
    {"fib_overflow", "[workload]\nn = 94\n", nullptr, "94"},
    {"fib_negative", "[workload]\nn = -1\n", nullptr, "workload.n"},
    {"seconds_zero", "[workload]\nkind = \"sleep\"\nseconds = 0\n", nullptr, "workload.seconds"},
    {"seconds_negative", "[workload]\nkind = \"spin\"\nseconds = -1.0\n", nullptr, "workload.seconds"},
    {"seconds_year", "[workload]\nkind = \"sleep\"\nseconds = 31536000\n", nullptr, "31536000"},
    {"seconds_nan", "[workload]\nkind = \"sleep\"\nseconds = nan\n", nullptr, "workload.seconds"},
    {"bytes_zero", "[workload]\nkind = \"file_io\"\nbytes = 0\n", nullptr, "workload.bytes"},
    {"bytes_huge", "[workload]\nkind = \"file_io\"\nbytes = 10000000000\n", nullptr, "10000000000"},
    {"dir_empty", "[workload]\nkind = \"file_io\"\ndir = \"\"\n", nullptr, "workload.dir"},
    {"dir_integer", "[workload]\nkind = \"file_io\"\ndir = 5\n", nullptr, "workload.dir"},
    {"elements_small", "[workload]\nkind = \"triad\"\nelements = 3\n", nullptr, "workload.elements"},
    {"elements_huge", "[workload]\nkind = \"triad\"\nelements = 1000000000\n", nullptr, "1000000000"},
    {"switch_interval_zero", "[workload]\nkind = \"gil\"\nswitch_interval = 0\n", nullptr, "switch_interval"},
    {"distribution_unknown", "[workload]\nkind = \"irregular\"\ndistribution = \"pareto\"\n", nullptr, "pareto"},
    {"fraction_over_one", "[workload]\nkind = \"irregular\"\nlong_fraction = 1.5\n", nullptr, "long_fraction"},
    {"sigma_negative", "[workload]\nkind = \"irregular\"\nsigma = -1\n", nullptr, "sigma"},
    {"workload_not_table", "workload = 3\n", nullptr, "workload"},
    {"syntax_error", "items = [1, 2\n", nullptr, "deck.toml:"},
    {"override_unknown_key", "", "bogus=1", "bogus"},
    {"override_bad_value", "", "workload.n=-3", "workload.n"},
    {"override_chunk_over_items", "items = 4\n", "chunk=5", "chunk"},
};

INSTANTIATE_TEST_SUITE_P(Every, BadInput, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Config, OverrideWithoutEqualsIsRejected) {
  try {
    parse_override("workload.n");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("KEY=VALUE"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hybridscope
