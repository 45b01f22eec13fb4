// Input decks: the defaults, every key of every workload kind, --set overrides, the canonical
// round trip, and one clear line (origin, key, value, what is accepted) for every kind of bad input.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "hybridscope/config/config.hpp"
#include "hybridscope/core/error.hpp"

namespace hybridscope {
namespace {

// Field by field: RunConfig has no operator==, and a missed field is exactly what a round trip
// test must catch.
void expect_same(const RunConfig& a, const RunConfig& b, const std::string& context) {
  SCOPED_TRACE(context);
  EXPECT_EQ(a.items, b.items);
  EXPECT_EQ(a.chunk, b.chunk);
  EXPECT_EQ(a.strategy, b.strategy);
  EXPECT_EQ(a.threads, b.threads);
  EXPECT_EQ(a.counter, b.counter);
  const auto& x = a.workload;
  const auto& y = b.workload;
  EXPECT_EQ(x.kind, y.kind);
  EXPECT_EQ(x.n, y.n);
  EXPECT_EQ(x.seconds, y.seconds);  // exact: floats are written with full precision
  EXPECT_EQ(x.bytes, y.bytes);
  EXPECT_EQ(x.dir, y.dir);
  EXPECT_EQ(x.elements, y.elements);
  EXPECT_EQ(x.switch_interval, y.switch_interval);
  EXPECT_EQ(x.distribution, y.distribution);
  EXPECT_EQ(x.sigma, y.sigma);
  EXPECT_EQ(x.long_fraction, y.long_fraction);
  EXPECT_EQ(x.long_ratio, y.long_ratio);
  EXPECT_EQ(x.seed, y.seed);
  EXPECT_EQ(x.command, y.command);
  EXPECT_EQ(x.tasks, y.tasks);
  EXPECT_EQ(x.output, y.output);
  EXPECT_EQ(x.retries, y.retries);
  EXPECT_EQ(x.fail_fast, y.fail_fast);
  EXPECT_EQ(x.kill_grace, y.kill_grace);
}

// ---------------------------------------------------------------------------------------------
// Defaults

TEST(ConfigDefaults, EmptyDeckGivesEveryDefault) {
  const RunConfig c = parse_config("", "empty.toml");
  EXPECT_EQ(c.items, 64u);
  EXPECT_EQ(c.chunk, 1u);
  EXPECT_EQ(c.strategy, Strategy::dynamic);
  EXPECT_EQ(c.threads, 0);
  EXPECT_EQ(c.counter, CounterMode::automatic);
  EXPECT_EQ(c.workload.kind, WorkloadKind::fib);
  EXPECT_EQ(c.workload.n, 30);
  EXPECT_EQ(c.workload.seconds, 0.01);
  EXPECT_EQ(c.workload.bytes, 1u << 20);
  EXPECT_EQ(c.workload.dir, "");
  EXPECT_EQ(c.workload.elements, 1u << 20);
  EXPECT_EQ(c.workload.switch_interval, 0.005);
  EXPECT_EQ(c.workload.distribution, Distribution::lognormal);
  EXPECT_EQ(c.workload.sigma, 1.0);
  EXPECT_EQ(c.workload.long_fraction, 0.1);
  EXPECT_EQ(c.workload.long_ratio, 10.0);
  EXPECT_EQ(c.workload.seed, 1u);
  // A deck of comments and an empty [workload] table is the same as nothing.
  expect_same(parse_config("# nothing\n\n[workload]\n# still nothing\n", "comments.toml"), c,
              "comments only");
}

TEST(ConfigDefaults, BuiltInDefaultInputParses) {
  const RunConfig c = parse_config(kDefaultInput, "built-in default");
  EXPECT_EQ(c.items, 256u);
  EXPECT_EQ(c.chunk, 1u);
  EXPECT_EQ(c.strategy, Strategy::dynamic);
  EXPECT_EQ(c.workload.kind, WorkloadKind::fib);
  EXPECT_EQ(c.workload.n, 30);
}

TEST(ConfigDefaults, EnumNames) {
  EXPECT_EQ(to_string(Strategy::static_block), "static-block");
  EXPECT_EQ(to_string(Strategy::static_cyclic), "static-cyclic");
  EXPECT_EQ(to_string(Strategy::dynamic), "dynamic");
  EXPECT_EQ(to_string(Strategy::guided), "guided");
  EXPECT_EQ(to_string(WorkloadKind::file_io), "file_io");
  EXPECT_EQ(to_string(WorkloadKind::irregular), "irregular");
  EXPECT_EQ(to_string(Distribution::bimodal), "bimodal");
  EXPECT_EQ(to_string(CounterMode::automatic), "auto");
  EXPECT_EQ(to_string(CounterMode::rma), "rma");
}

// ---------------------------------------------------------------------------------------------
// Every key

TEST(ConfigKeys, TopLevelKeys) {
  const RunConfig c = parse_config(
      "items = 1000\nchunk = 7\nstrategy = \"guided\"\nthreads = 3\ncounter = \"rma\"\n", "top.toml");
  EXPECT_EQ(c.items, 1000u);
  EXPECT_EQ(c.chunk, 7u);
  EXPECT_EQ(c.strategy, Strategy::guided);
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.counter, CounterMode::rma);

  const std::pair<const char*, Strategy> strategies[] = {{"static-block", Strategy::static_block},
                                                         {"static-cyclic", Strategy::static_cyclic},
                                                         {"dynamic", Strategy::dynamic},
                                                         {"guided", Strategy::guided}};
  for (const auto& [name, value] : strategies)
    EXPECT_EQ(parse_config(std::string("strategy = \"") + name + "\"", "s.toml").strategy, value)
        << name;
  const std::pair<const char*, CounterMode> counters[] = {
      {"auto", CounterMode::automatic}, {"shared", CounterMode::shared}, {"rma", CounterMode::rma}};
  for (const auto& [name, value] : counters)
    EXPECT_EQ(parse_config(std::string("counter = \"") + name + "\"", "c.toml").counter, value)
        << name;
}

TEST(ConfigKeys, FibKeys) {
  const RunConfig c = parse_config("[workload]\nkind = \"fib\"\nn = 12\n", "fib.toml");
  EXPECT_EQ(c.workload.kind, WorkloadKind::fib);
  EXPECT_EQ(c.workload.n, 12);
}

TEST(ConfigKeys, SpinAndSleepKeys) {
  RunConfig c = parse_config("[workload]\nkind = \"spin\"\nseconds = 0.25\n", "spin.toml");
  EXPECT_EQ(c.workload.kind, WorkloadKind::spin);
  EXPECT_EQ(c.workload.seconds, 0.25);
  c = parse_config("[workload]\nkind = \"sleep\"\nseconds = 2\n", "sleep.toml");
  EXPECT_EQ(c.workload.kind, WorkloadKind::sleep);
  EXPECT_EQ(c.workload.seconds, 2.0);  // an integer is accepted where a number is expected
}

TEST(ConfigKeys, FileIoKeys) {
  const RunConfig c =
      parse_config("[workload]\nkind = \"file_io\"\nbytes = 4096\ndir = \"/scratch/me\"\n", "io.toml");
  EXPECT_EQ(c.workload.kind, WorkloadKind::file_io);
  EXPECT_EQ(c.workload.bytes, 4096u);
  EXPECT_EQ(c.workload.dir, "/scratch/me");
}

TEST(ConfigKeys, TriadKeys) {
  const RunConfig c = parse_config("[workload]\nkind = \"triad\"\nelements = 1024\n", "triad.toml");
  EXPECT_EQ(c.workload.kind, WorkloadKind::triad);
  EXPECT_EQ(c.workload.elements, 1024u);
}

TEST(ConfigKeys, GilKeys) {
  const RunConfig c = parse_config(
      "[workload]\nkind = \"gil\"\nseconds = 0.5\nswitch_interval = 0.001\n", "gil.toml");
  EXPECT_EQ(c.workload.kind, WorkloadKind::gil);
  EXPECT_EQ(c.workload.seconds, 0.5);
  EXPECT_EQ(c.workload.switch_interval, 0.001);
}

TEST(ConfigKeys, IrregularKeys) {
  const RunConfig c = parse_config(
      "[workload]\nkind = \"irregular\"\nseconds = 0.02\ndistribution = \"bimodal\"\nsigma = 0.5\n"
      "long_fraction = 0.25\nlong_ratio = 20.0\nseed = 42\n",
      "irregular.toml");
  EXPECT_EQ(c.workload.kind, WorkloadKind::irregular);
  EXPECT_EQ(c.workload.seconds, 0.02);
  EXPECT_EQ(c.workload.distribution, Distribution::bimodal);
  EXPECT_EQ(c.workload.sigma, 0.5);
  EXPECT_EQ(c.workload.long_fraction, 0.25);
  EXPECT_EQ(c.workload.long_ratio, 20.0);
  EXPECT_EQ(c.workload.seed, 42u);
  for (const char* d : {"lognormal", "uniform", "bimodal"}) {
    const auto parsed = parse_config(
        std::string("[workload]\nkind = \"irregular\"\ndistribution = \"") + d + "\"\n", "d.toml");
    EXPECT_EQ(to_string(parsed.workload.distribution), d);
  }
}

TEST(ConfigKeys, KindMayComeAfterItsKeys) {
  // The kind decides which keys apply, whatever its place in the table.
  const RunConfig c = parse_config("[workload]\nseconds = 0.5\nkind = \"sleep\"\n", "order.toml");
  EXPECT_EQ(c.workload.kind, WorkloadKind::sleep);
  EXPECT_EQ(c.workload.seconds, 0.5);
}

TEST(ConfigKeys, DottedKeysAndInlineTablesAreTheSameAsATable) {
  const RunConfig dotted = parse_config("workload.kind = \"triad\"\nworkload.elements = 64\n", "a");
  const RunConfig inline_table = parse_config("workload = { kind = \"triad\", elements = 64 }\n", "b");
  EXPECT_EQ(dotted.workload.kind, WorkloadKind::triad);
  EXPECT_EQ(dotted.workload.elements, 64u);
  expect_same(dotted, inline_table, "dotted vs inline");
}

// Inclusive ends of every range are accepted (the error table below covers one step outside).
struct Edge {
  const char* name;
  const char* text;
  void (*check)(const RunConfig&);
};
void PrintTo(const Edge& e, std::ostream* os) { *os << e.name; }

class ConfigEdges : public ::testing::TestWithParam<Edge> {};

TEST_P(ConfigEdges, InclusiveBoundIsAccepted) {
  const Edge& e = GetParam();
  RunConfig c;
  ASSERT_NO_THROW(c = parse_config(e.text, "edge.toml")) << e.text;
  e.check(c);
}

const Edge kEdges[] = {
    {"items_max", "items = 1000000000000\n",
     [](const RunConfig& c) { EXPECT_EQ(c.items, 1'000'000'000'000u); }},
    {"items_one", "items = 1\n", [](const RunConfig& c) { EXPECT_EQ(c.items, 1u); }},
    {"chunk_equals_items", "items = 9\nchunk = 9\n",
     [](const RunConfig& c) { EXPECT_EQ(c.chunk, 9u); }},
    {"chunk_max", "items = 1000000000000\nchunk = 1000000000000\n",
     [](const RunConfig& c) { EXPECT_EQ(c.chunk, 1'000'000'000'000u); }},
    {"threads_zero_takes_openmps", "threads = 0\n", [](const RunConfig& c) { EXPECT_EQ(c.threads, 0); }},
    {"threads_one", "threads = 1\n", [](const RunConfig& c) { EXPECT_EQ(c.threads, 1); }},
    {"threads_max", "threads = 1024\n", [](const RunConfig& c) { EXPECT_EQ(c.threads, 1024); }},
    {"fib_zero", "[workload]\nn = 0\n", [](const RunConfig& c) { EXPECT_EQ(c.workload.n, 0); }},
    {"fib_max", "[workload]\nn = 50\n", [](const RunConfig& c) { EXPECT_EQ(c.workload.n, 50); }},
    {"seconds_max", "[workload]\nkind = \"spin\"\nseconds = 3600\n",
     [](const RunConfig& c) { EXPECT_EQ(c.workload.seconds, 3600.0); }},
    {"seconds_tiny", "[workload]\nkind = \"sleep\"\nseconds = 1e-9\n",
     [](const RunConfig& c) { EXPECT_EQ(c.workload.seconds, 1e-9); }},
    {"bytes_one", "[workload]\nkind = \"file_io\"\nbytes = 1\n",
     [](const RunConfig& c) { EXPECT_EQ(c.workload.bytes, 1u); }},
    {"bytes_max", "[workload]\nkind = \"file_io\"\nbytes = 1073741824\n",
     [](const RunConfig& c) { EXPECT_EQ(c.workload.bytes, 1u << 30); }},
    {"elements_min", "[workload]\nkind = \"triad\"\nelements = 16\n",
     [](const RunConfig& c) { EXPECT_EQ(c.workload.elements, 16u); }},
    {"elements_max", "[workload]\nkind = \"triad\"\nelements = 134217728\n",
     [](const RunConfig& c) { EXPECT_EQ(c.workload.elements, 1u << 27); }},
    {"switch_interval_max", "[workload]\nkind = \"gil\"\nswitch_interval = 1\n",
     [](const RunConfig& c) { EXPECT_EQ(c.workload.switch_interval, 1.0); }},
    {"sigma_max", "[workload]\nkind = \"irregular\"\nsigma = 4\n",
     [](const RunConfig& c) { EXPECT_EQ(c.workload.sigma, 4.0); }},
    {"long_fraction_zero", "[workload]\nkind = \"irregular\"\nlong_fraction = 0\n",
     [](const RunConfig& c) { EXPECT_EQ(c.workload.long_fraction, 0.0); }},
    {"long_fraction_one", "[workload]\nkind = \"irregular\"\nlong_fraction = 1.0\n",
     [](const RunConfig& c) { EXPECT_EQ(c.workload.long_fraction, 1.0); }},
    {"long_ratio_max", "[workload]\nkind = \"irregular\"\nlong_ratio = 1000\n",
     [](const RunConfig& c) { EXPECT_EQ(c.workload.long_ratio, 1000.0); }},
    {"seed_zero", "[workload]\nkind = \"irregular\"\nseed = 0\n",
     [](const RunConfig& c) { EXPECT_EQ(c.workload.seed, 0u); }},
    {"seed_max", "[workload]\nkind = \"irregular\"\nseed = 9223372036854775807\n",
     [](const RunConfig& c) {
       EXPECT_EQ(c.workload.seed, std::uint64_t(std::numeric_limits<std::int64_t>::max()));
     }},
};

INSTANTIATE_TEST_SUITE_P(Every, ConfigEdges, ::testing::ValuesIn(kEdges),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------------
// --set overrides

TEST(ConfigOverride, SplitsAtTheFirstEquals) {
  const Override o = parse_override("workload.dir=/tmp/a=b");
  EXPECT_EQ(o.key, "workload.dir");
  EXPECT_EQ(o.value, "/tmp/a=b");
  const Override empty = parse_override("items=");
  EXPECT_EQ(empty.key, "items");
  EXPECT_EQ(empty.value, "");
}

TEST(ConfigOverride, OverridesWinOverTheFile) {
  const RunConfig c = parse_config(
      "items = 10\nchunk = 2\nstrategy = \"guided\"\n[workload]\nkind = \"fib\"\nn = 20\n", "f.toml",
      {parse_override("items=99"), parse_override("workload.n=25"), parse_override("chunk=3")});
  EXPECT_EQ(c.items, 99u);
  EXPECT_EQ(c.chunk, 3u);
  EXPECT_EQ(c.workload.n, 25);
  EXPECT_EQ(c.strategy, Strategy::guided);  // untouched by the overrides
}

TEST(ConfigOverride, ValuesAreTomlAndBareWordsAreStrings) {
  const RunConfig c = parse_config(
      "[workload]\nkind = \"sleep\"\n", "f.toml",
      {parse_override("strategy=static-block"),   // bare word: a string
       parse_override("counter=\"shared\""),      // quoted TOML string
       parse_override("workload.seconds=0.5"),    // TOML float
       parse_override("threads=2")});             // TOML integer
  EXPECT_EQ(c.strategy, Strategy::static_block);
  EXPECT_EQ(c.counter, CounterMode::shared);
  EXPECT_EQ(c.workload.seconds, 0.5);
  EXPECT_EQ(c.threads, 2);

  const RunConfig io = parse_config("[workload]\nkind = \"file_io\"\n", "io.toml",
                                    {parse_override("workload.dir=/tmp/my scratch")});
  EXPECT_EQ(io.workload.dir, "/tmp/my scratch");
  const RunConfig eq = parse_config("[workload]\nkind = \"file_io\"\n", "io.toml",
                                    {parse_override("workload.dir=/tmp/a=b")});
  EXPECT_EQ(eq.workload.dir, "/tmp/a=b");
}

TEST(ConfigOverride, BareWordsMustBeUtf8) {
  // Found by fuzz_input: a bare word that is not UTF-8 was taken as a string, which the canonical
  // TOML can only write as other characters (\xff as \u00FF), so the other ranks got another dir.
  const std::string io = "[workload]\nkind = \"file_io\"\n";
  for (const char* value : {"/tmp/\xff", "/tmp/\xc0\xaf", "/tmp/\xe0\x80\xaf", "/tmp/\xed\xa0\x80",
                            "/tmp/\xf4\x90\x80\x80", "/tmp/\xf8\x88\x80\x80\x80", "/tmp/\xc3",
                            "/tmp/\xe2\x82", "\x80"}) {
    const std::string assignment = std::string("workload.dir=") + value;
    try {
      parse_config(io, "io.toml", {parse_override(assignment)});
      ADD_FAILURE() << "accepted " << assignment;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--set " + assignment + ": ", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos) << e.what();
    }
  }
  // Every length of UTF-8 sequence, up to the last code point, survives the round trip.
  const RunConfig c = parse_config(io, "io.toml",
                                   {parse_override("workload.dir=/tmp/m\xc3\xbcller \xe2\x80\x94 "
                                                   "\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf")});
  EXPECT_EQ(c.workload.dir, "/tmp/m\xc3\xbcller \xe2\x80\x94 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
  expect_same(c, parse_config(to_toml(c), "canonical"), to_toml(c));
}

TEST(ConfigOverride, LaterOverrideWins) {
  const RunConfig c = parse_config("items = 10\n", "f.toml",
                                   {parse_override("items=5"), parse_override("items=7")});
  EXPECT_EQ(c.items, 7u);
}

TEST(ConfigOverride, CreatesTheWorkloadTableWhenTheFileHasNone) {
  const RunConfig c = parse_config("items = 10\n", "f.toml",
                                   {parse_override("workload.kind=triad"),
                                    parse_override("workload.elements=256")});
  EXPECT_EQ(c.workload.kind, WorkloadKind::triad);
  EXPECT_EQ(c.workload.elements, 256u);
}

TEST(ConfigOverride, CanSwitchTheKindOfTheDefaultInput) {
  const RunConfig c = parse_config(kDefaultInput, "built-in default",
                                   {parse_override("workload.kind=sleep"),
                                    parse_override("workload.seconds=0.5")});
  EXPECT_EQ(c.workload.kind, WorkloadKind::sleep);
  EXPECT_EQ(c.workload.seconds, 0.5);
  EXPECT_EQ(c.items, 256u);
}

TEST(ConfigOverride, OverrideCanMakeChunkFitItems) {
  // The file alone would be rejected (chunk > items); the override repairs it.
  EXPECT_THROW(parse_config("items = 4\nchunk = 8\n", "f.toml"), InputError);
  const RunConfig c = parse_config("items = 4\nchunk = 8\n", "f.toml", {parse_override("items=8")});
  EXPECT_EQ(c.items, 8u);
  EXPECT_EQ(c.chunk, 8u);
}

// ---------------------------------------------------------------------------------------------
// Canonical round trip: parse_config(to_toml(c)) == c, for every kind

struct RoundTrip {
  const char* name;
  RunConfig config;
};
void PrintTo(const RoundTrip& r, std::ostream* os) { *os << r.name; }

RunConfig make(WorkloadKind kind, void (*tweak)(RunConfig&) = nullptr) {
  RunConfig c;
  c.workload.kind = kind;
  if (tweak) tweak(c);
  return c;
}

class ConfigRoundTrip : public ::testing::TestWithParam<RoundTrip> {};

TEST_P(ConfigRoundTrip, ParseOfCanonicalTomlGivesTheSameConfig) {
  const RunConfig& c = GetParam().config;
  const std::string text = to_toml(c);
  RunConfig again;
  ASSERT_NO_THROW(again = parse_config(text, "canonical")) << text;
  expect_same(c, again, text);
  EXPECT_EQ(to_toml(again), text);  // canonical: a fixed point
}

const RoundTrip kRoundTrips[] = {
    {"defaults", RunConfig{}},
    {"command_template", make(WorkloadKind::command,
                              [](RunConfig& c) {
                                c.workload.command = "./analyse \"in {item}.dat\" > /dev/null; echo '{item}'";
                                c.workload.retries = 3;
                                c.workload.fail_fast = true;
                                c.workload.kill_grace = 0.25;
                              })},
    {"command_tasks", make(WorkloadKind::command,
                           [](RunConfig& c) {
                             c.workload.tasks = "/data/tasks list.txt";
                             c.workload.output = "/scratch/out";
                             c.items = 12;
                           })},
    {"fib", make(WorkloadKind::fib,
                 [](RunConfig& c) {
                   c.workload.n = 0;
                   c.items = 1'000'000'000'000;
                   c.chunk = 1'000'000'000'000;
                   c.strategy = Strategy::guided;
                   c.threads = 1024;
                   c.counter = CounterMode::rma;
                 })},
    {"spin", make(WorkloadKind::spin,
                  [](RunConfig& c) {
                    c.workload.seconds = 1.0 / 3.0;  // needs all 17 digits
                    c.strategy = Strategy::static_cyclic;
                    c.counter = CounterMode::shared;
                    c.threads = 3;
                  })},
    {"sleep", make(WorkloadKind::sleep,
                   [](RunConfig& c) {
                     c.workload.seconds = 3600.0;  // written as an integer
                     c.strategy = Strategy::static_block;
                     c.items = 7;
                     c.chunk = 3;
                   })},
    {"file_io_no_dir", make(WorkloadKind::file_io, [](RunConfig& c) { c.workload.bytes = 1u << 30; })},
    {"file_io_plain_dir", make(WorkloadKind::file_io,
                               [](RunConfig& c) {
                                 c.workload.bytes = 77;
                                 c.workload.dir = "/scratch/user/run-1";
                               })},
    {"file_io_odd_dir", make(WorkloadKind::file_io,
                             [](RunConfig& c) {
                               c.workload.dir = "/tmp/a b/\"q\"/back\\slash/it's/\xC3\xBCn\xC3\xAF/t\tab";
                             })},
    {"file_io_dir_with_newlines", make(WorkloadKind::file_io,
                                       [](RunConfig& c) { c.workload.dir = "\nlead/mid\ndle"; })},
    {"triad", make(WorkloadKind::triad, [](RunConfig& c) { c.workload.elements = 16; })},
    {"gil", make(WorkloadKind::gil,
                 [](RunConfig& c) {
                   c.workload.seconds = 0.1;
                   c.workload.switch_interval = 1e-5;
                 })},
    {"irregular_lognormal", make(WorkloadKind::irregular,
                                 [](RunConfig& c) {
                                   c.workload.seconds = 0.123456789012345;
                                   c.workload.sigma = 0.3;
                                   c.workload.seed = std::numeric_limits<std::int64_t>::max();
                                 })},
    {"irregular_uniform", make(WorkloadKind::irregular,
                               [](RunConfig& c) {
                                 c.workload.distribution = Distribution::uniform;
                                 c.workload.seed = 0;
                                 c.workload.seconds = 2.5e-4;
                               })},
    {"irregular_bimodal", make(WorkloadKind::irregular,
                               [](RunConfig& c) {
                                 c.workload.distribution = Distribution::bimodal;
                                 c.workload.long_fraction = 0.07;
                                 c.workload.long_ratio = 123.456;
                                 c.workload.seed = 99;
                               })},
};

INSTANTIATE_TEST_SUITE_P(EveryKind, ConfigRoundTrip, ::testing::ValuesIn(kRoundTrips),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ConfigRoundTripText, DeckThroughCanonicalTomlIsUnchanged) {
  // From text, too: keys of other kinds keep their defaults, so nothing is lost.
  for (const char* deck :
       {"items = 5\nchunk = 2\nstrategy = \"guided\"\n[workload]\nkind = \"fib\"\nn = 11\n",
        "threads = 4\ncounter = \"shared\"\n[workload]\nkind = \"spin\"\nseconds = 0.125\n",
        "[workload]\nkind = \"file_io\"\nbytes = 77\ndir = \"/tmp/x y\"\n",
        "[workload]\nkind = \"gil\"\nseconds = 0.2\nswitch_interval = 0.002\n",
        "[workload]\nkind = \"irregular\"\ndistribution = \"bimodal\"\nlong_fraction = 0.5\n"
        "long_ratio = 3\nseed = 17\nseconds = 0.3\n"}) {
    const RunConfig c = parse_config(deck, "deck.toml");
    expect_same(c, parse_config(to_toml(c), "canonical"), deck);
  }
}

TEST(ConfigRoundTripText, ShapeParametersOfTheOtherDistributionsAreKept) {
  // Found by fuzz_input: sigma beside "uniform" was accepted but left out of the canonical TOML, so
  // the other ranks (which parse rank 0's canonical TOML) resolved a different configuration.
  for (const char* deck :
       {"[workload]\nkind = \"irregular\"\ndistribution = \"uniform\"\nsigma = 4\n",
        "[workload]\nkind = \"irregular\"\nlong_fraction = 0.5\nlong_ratio = 3\n",
        "[workload]\nkind = \"irregular\"\ndistribution = \"bimodal\"\nsigma = 0.25\n"}) {
    const RunConfig c = parse_config(deck, "deck.toml");
    const std::string text = to_toml(c);
    expect_same(c, parse_config(text, "canonical"), text);
  }
}

TEST(ConfigDescribe, NamesTheWorkloadAndItsSize) {
  EXPECT_EQ(describe(parse_config("[workload]\nn = 12\n", "x").workload), "fib n=12");
  const auto irregular = describe(
      parse_config("[workload]\nkind = \"irregular\"\ndistribution = \"bimodal\"\n", "x").workload);
  EXPECT_NE(irregular.find("bimodal"), std::string::npos) << irregular;
  EXPECT_NE(describe(parse_config("[workload]\nkind = \"triad\"\nelements = 64\n", "x").workload)
                .find("64"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Bad input: InputError (exit code 2) with one line naming origin, key, value and what is accepted

struct Bad {
  const char* name;
  std::string text;
  std::vector<std::string> overrides;  // "--set" arguments, passed through parse_override
  std::string origin;                  // where the message must say the bad value came from
  std::vector<std::string> mentions;   // the key, the offending value, ...
};
void PrintTo(const Bad& bad, std::ostream* os) { *os << bad.name; }

class ConfigErrors : public ::testing::TestWithParam<Bad> {};

TEST_P(ConfigErrors, OneLineNamingOriginKeyValueAndWhatIsAccepted) {
  const Bad& bad = GetParam();
  try {
    std::vector<Override> overrides;
    for (const auto& o : bad.overrides) overrides.push_back(parse_override(o));
    const RunConfig c = parse_config(bad.text, "deck.toml", overrides);
    ADD_FAILURE() << "accepted:\n" << bad.text << "\nas:\n" << to_toml(c);
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_EQ(static_cast<int>(e.code()), 2);
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
    EXPECT_EQ(message.rfind(bad.origin, 0), 0u) << "does not start with the origin '" << bad.origin
                                                 << "': " << message;
    for (const auto& m : bad.mentions)
      EXPECT_NE(message.find(m), std::string::npos) << "does not mention '" << m << "': " << message;
    EXPECT_NE(message.find("accepted"), std::string::npos) << message;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an InputError: " << e.what();
  }
}

const std::string kFib = "[workload]\nkind = \"fib\"\n";
const std::string kSpin = "[workload]\nkind = \"spin\"\n";
const std::string kSleep = "[workload]\nkind = \"sleep\"\n";
const std::string kIo = "[workload]\nkind = \"file_io\"\n";
const std::string kTriad = "[workload]\nkind = \"triad\"\n";
const std::string kGil = "[workload]\nkind = \"gil\"\n";
const std::string kIrregular = "[workload]\nkind = \"irregular\"\n";

// An array too long for one 120-column line, which toml++ prints one element per line.
std::string long_array() {
  std::string out = "items = [";
  for (int i = 0; i < 60; ++i) out += std::to_string(i * 1000) + ", ";
  return out + "59999]\n";
}

const Bad kBad[] = {
    // Unknown keys.
    {"unknown_top_level_key", "colour = \"red\"\n", {}, "deck.toml", {"'colour'", "red"}},
    {"unknown_top_level_table", "[workloads]\nkind = \"fib\"\nn = 3\n", {}, "deck.toml",
     {"'workloads'", "kind"}},
    {"unknown_workload_key", "[workload]\nspeed = 3\n", {}, "deck.toml",
     {"'workload.speed'", "3", "workload.kind"}},
    {"unknown_workload_subtable", "[workload]\nkind = \"fib\"\n[workload.extra]\na = 1\nb = 2\n", {},
     "deck.toml", {"'workload.extra'"}},
    {"fib_key_on_sleep", kSleep + "n = 3\n", {}, "deck.toml", {"'workload.n'", "3", "sleep"}},
    {"seconds_on_default_fib", "[workload]\nseconds = 1.5\n", {}, "deck.toml",
     {"'workload.seconds'", "1.5", "fib"}},
    {"elements_on_file_io", kIo + "elements = 64\n", {}, "deck.toml",
     {"'workload.elements'", "64", "file_io"}},
    {"sigma_on_gil", kGil + "sigma = 0.5\n", {}, "deck.toml", {"'workload.sigma'", "0.5", "gil"}},
    {"bytes_on_triad_by_override", kTriad, {"workload.bytes=4096"}, "--set workload.bytes=4096",
     {"'workload.bytes'", "4096", "triad"}},
    {"kind_switched_by_override", kFib + "n = 20\n", {"workload.kind=sleep"}, "deck.toml",
     {"'workload.n'", "20", "sleep"}},
    // Wrong types.
    {"items_string", "items = \"ten\"\n", {}, "deck.toml", {"'items'", "\"ten\"", "integer"}},
    {"items_float", "items = 10.5\n", {}, "deck.toml", {"'items'", "10.5", "integer"}},
    {"items_integral_float", "items = 10.0\n", {}, "deck.toml", {"'items'", "10.0"}},
    {"items_bool", "items = true\n", {}, "deck.toml", {"'items'", "true"}},
    {"items_array", "items = [1, 2]\n", {}, "deck.toml", {"'items'", "1, 2"}},
    {"items_inline_table", "items = { a = 1, b = 2 }\n", {}, "deck.toml", {"'items'", "a = 1"}},
    {"items_table", "[items]\na = 1\nb = 2\n", {}, "deck.toml", {"'items'", "a = 1"}},
    {"items_long_array", long_array(), {}, "deck.toml", {"'items'", "[ 0, 1000, 2000,", "59999 ]"}},
    {"items_nested_tables", "[items]\na = 1\n[items.b]\nc = [1, 2]\n[[items.d]]\ne = 'x'\n", {},
     "deck.toml", {"'items'", "a = 1", "c = [ 1, 2 ]"}},
    {"items_date", "items = 1979-05-27\n", {}, "deck.toml", {"'items'", "1979-05-27"}},
    {"items_multiline_string", "items = \"\"\"\n12\n34\"\"\"\n", {}, "deck.toml", {"'items'", "12"}},
    {"chunk_float", "chunk = 2.0\n", {}, "deck.toml", {"'chunk'", "2.0"}},
    {"threads_string", "threads = \"4\"\n", {}, "deck.toml", {"'threads'", "\"4\""}},
    {"strategy_integer", "strategy = 3\n", {}, "deck.toml", {"'strategy'", "= 3", "dynamic"}},
    {"kind_integer", "[workload]\nkind = 1\n", {}, "deck.toml", {"'workload.kind'", "= 1", "fib"}},
    {"n_string", kFib + "n = \"30\"\n", {}, "deck.toml", {"'workload.n'", "\"30\""}},
    {"n_float", kFib + "n = 30.0\n", {}, "deck.toml", {"'workload.n'", "30.0"}},
    {"seconds_string", kSleep + "seconds = \"1s\"\n", {}, "deck.toml", {"'workload.seconds'", "1s"}},
    {"bytes_float", kIo + "bytes = 4096.0\n", {}, "deck.toml", {"'workload.bytes'", "4096.0"}},
    {"dir_integer", kIo + "dir = 5\n", {}, "deck.toml", {"'workload.dir'", "= 5", "string"}},
    {"seed_float", kIrregular + "seed = 1.5\n", {}, "deck.toml", {"'workload.seed'", "1.5"}},
    {"workload_not_a_table", "workload = 3\n", {}, "deck.toml", {"'workload'", "= 3", "table"}},
    {"workload_string_by_override", "", {"workload=fib"}, "--set workload=fib",
     {"'workload'", "fib", "table"}},
    {"string_with_newline", "strategy = \"dyn\\namic\"\n", {}, "deck.toml", {"'strategy'", "dyn"}},
    // Out of range.
    {"items_zero", "items = 0\n", {}, "deck.toml", {"'items'", "= 0", "[1, 1000000000000]"}},
    {"items_negative", "items = -4\n", {}, "deck.toml", {"'items'", "-4"}},
    {"items_above_bound", "items = 1000000000001\n", {}, "deck.toml",
     {"'items'", "1000000000001", "1000000000000"}},
    {"chunk_zero", "chunk = 0\n", {}, "deck.toml", {"'chunk'", "= 0"}},
    {"chunk_negative", "items = 10\nchunk = -1\n", {}, "deck.toml", {"'chunk'", "-1"}},
    {"chunk_above_items", "items = 10\nchunk = 11\n", {}, "deck.toml", {"'chunk'", "11", "10"}},
    {"chunk_above_default_items", "chunk = 65\n", {}, "deck.toml", {"'chunk'", "65", "64"}},
    {"chunk_above_items_by_override", "items = 4\n", {"chunk=5"}, "--set chunk=5",
     {"'chunk'", "5", "4"}},
    {"items_below_chunk_by_override", "items = 8\nchunk = 8\n", {"items=4"}, "deck.toml",
     {"'chunk'", "8", "4"}},
    {"threads_negative", "threads = -2\n", {}, "deck.toml", {"'threads'", "-2"}},
    {"threads_above_bound", "threads = 1025\n", {}, "deck.toml", {"'threads'", "1025", "1024"}},
    {"fib_n_negative", kFib + "n = -1\n", {}, "deck.toml", {"'workload.n'", "-1", "[0, 50]"}},
    {"fib_n_above_bound", kFib + "n = 51\n", {}, "deck.toml", {"'workload.n'", "51", "[0, 50]"}},
    {"fib_n_overflow", "[workload]\nn = 94\n", {}, "deck.toml", {"'workload.n'", "94"}},
    {"seconds_zero", kSleep + "seconds = 0\n", {}, "deck.toml", {"'workload.seconds'", "= 0", "3600"}},
    {"seconds_negative", kSpin + "seconds = -1.0\n", {}, "deck.toml",
     {"'workload.seconds'", "-1.0"}},
    {"seconds_above_an_hour", kGil + "seconds = 3600.5\n", {}, "deck.toml",
     {"'workload.seconds'", "3600.5", "3600"}},
    {"seconds_a_year", kSleep + "seconds = 31536000\n", {}, "deck.toml",
     {"'workload.seconds'", "31536000"}},
    {"seconds_nan", kIrregular + "seconds = nan\n", {}, "deck.toml", {"'workload.seconds'", "nan"}},
    {"seconds_inf", kSpin + "seconds = inf\n", {}, "deck.toml", {"'workload.seconds'", "inf"}},
    {"seconds_negative_by_override", kSleep, {"workload.seconds=-0.5"},
     "--set workload.seconds=-0.5", {"'workload.seconds'", "-0.5"}},
    {"bytes_zero", kIo + "bytes = 0\n", {}, "deck.toml", {"'workload.bytes'", "= 0"}},
    {"bytes_above_bound", kIo + "bytes = 1073741825\n", {}, "deck.toml",
     {"'workload.bytes'", "1073741825", "1073741824"}},
    {"dir_empty", kIo + "dir = \"\"\n", {}, "deck.toml", {"'workload.dir'", "\"\"", "non-empty"}},
    {"elements_below_bound", kTriad + "elements = 15\n", {}, "deck.toml",
     {"'workload.elements'", "15", "[16, 134217728]"}},
    {"elements_above_bound", kTriad + "elements = 134217729\n", {}, "deck.toml",
     {"'workload.elements'", "134217729"}},
    {"switch_interval_zero", kGil + "switch_interval = 0\n", {}, "deck.toml",
     {"'workload.switch_interval'", "= 0"}},
    {"switch_interval_above_bound", kGil + "switch_interval = 1.5\n", {}, "deck.toml",
     {"'workload.switch_interval'", "1.5"}},
    {"sigma_zero", kIrregular + "sigma = 0\n", {}, "deck.toml", {"'workload.sigma'", "= 0"}},
    {"sigma_above_bound", kIrregular + "sigma = 4.5\n", {}, "deck.toml",
     {"'workload.sigma'", "4.5"}},
    {"long_fraction_negative", kIrregular + "long_fraction = -0.1\n", {}, "deck.toml",
     {"'workload.long_fraction'", "-0.1", "[0, 1]"}},
    {"long_fraction_above_one", kIrregular + "long_fraction = 1.5\n", {}, "deck.toml",
     {"'workload.long_fraction'", "1.5", "[0, 1]"}},
    {"long_fraction_nan", kIrregular + "long_fraction = nan\n", {}, "deck.toml",
     {"'workload.long_fraction'", "nan"}},
    {"long_ratio_zero", kIrregular + "long_ratio = 0\n", {}, "deck.toml",
     {"'workload.long_ratio'", "= 0"}},
    {"long_ratio_above_bound", kIrregular + "long_ratio = 1001\n", {}, "deck.toml",
     {"'workload.long_ratio'", "1001"}},
    {"seed_negative", kIrregular + "seed = -1\n", {}, "deck.toml", {"'workload.seed'", "-1"}},
    // Unknown names.
    {"strategy_unknown", "strategy = \"round-robin\"\n", {}, "deck.toml",
     {"'strategy'", "round-robin", "\"static-block\"", "\"static-cyclic\"", "\"dynamic\"",
      "\"guided\""}},
    {"strategy_wrong_case", "strategy = \"Dynamic\"\n", {}, "deck.toml", {"'strategy'", "Dynamic"}},
    {"strategy_unknown_by_override", "", {"strategy=fastest"}, "--set strategy=fastest",
     {"'strategy'", "fastest", "\"guided\""}},
    {"kind_unknown", "[workload]\nkind = \"matmul\"\n", {}, "deck.toml",
     {"'workload.kind'", "matmul", "\"fib\"", "\"irregular\""}},
    {"distribution_unknown", kIrregular + "distribution = \"pareto\"\n", {}, "deck.toml",
     {"'workload.distribution'", "pareto", "\"lognormal\"", "\"uniform\"", "\"bimodal\""}},
    {"counter_unknown", "counter = \"mpi\"\n", {}, "deck.toml",
     {"'counter'", "mpi", "\"auto\"", "\"shared\"", "\"rma\""}},
    // TOML syntax.
    {"syntax_missing_value", "items = 5\nchunk = = 3\n", {}, "deck.toml:2:", {"syntax"}},
    {"syntax_unterminated_array", "items = 5\n\nthreads = [1,\n", {}, "deck.toml:", {"syntax"}},
    {"syntax_unterminated_string", "[workload]\nkind = \"fib\n", {}, "deck.toml:2:", {"syntax"}},
    {"syntax_duplicate_key", "items = 1\nitems = 2\n", {}, "deck.toml:2:", {"syntax", "items"}},
    {"syntax_bare_word", "strategy = dynamic\n", {}, "deck.toml:1:", {"syntax"}},
    // Overrides that are not KEY=VALUE, or name no key.
    {"override_without_equals", "", {"workload.n"}, "--set workload.n", {"workload.n", "KEY=VALUE"}},
    {"override_without_key", "", {"=5"}, "--set =5", {"KEY=VALUE"}},
    {"override_empty_value", "", {"items="}, "--set items=", {"'items'", "\"\""}},
    {"override_bare_word_for_integer", "", {"items=ten"}, "--set items=ten", {"'items'", "ten"}},
    {"override_unknown_key", "", {"bogus=1"}, "--set bogus=1", {"'bogus'", "= 1"}},
    {"override_unknown_workload_key", "", {"workload.speed=2"}, "--set workload.speed=2",
     {"'workload.speed'", "2"}},
    {"override_into_a_non_table", "items = 5\n", {"items.x=1"}, "--set items.x=1", {"items"}},
    {"override_empty_key_part", "", {"workload..n=1"}, "--set workload..n=1", {"workload..n"}},
    {"override_trailing_dot", "", {"workload.=1"}, "--set workload.=1", {"workload."}},
};

INSTANTIATE_TEST_SUITE_P(Every, ConfigErrors, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ConfigErrorsDetail, OriginIsTheNameGivenByTheCaller) {
  try {
    parse_config("items = 0\n", "/home/me/inputs/my deck.toml");
    FAIL() << "items = 0 accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/home/me/inputs/my deck.toml", 0), 0u) << e.what();
  }
}

TEST(ConfigErrorsDetail, UnknownWorkloadKeyListsOnlyTheKeysOfThatKind) {
  try {
    parse_config(kTriad + "speed = 1\n", "deck.toml");
    FAIL() << "speed accepted";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("workload.elements"), std::string::npos) << m;
    EXPECT_NE(m.find("workload.kind"), std::string::npos) << m;
    EXPECT_EQ(m.find("workload.seconds"), std::string::npos) << m;
    EXPECT_EQ(m.find("workload.n,"), std::string::npos) << m;
  }
}

TEST(ConfigErrorsDetail, SyntaxErrorNamesLineAndColumn) {
  try {
    parse_config("items = 5\n\n\nchunk = @\n", "deck.toml");
    FAIL() << "syntax error accepted";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind("deck.toml:4:9:", 0), 0u) << m;  // line 4, the column of '@'
    EXPECT_EQ(e.code(), ExitCode::bad_input);
  }
}

TEST(ConfigErrorsDetail, FileValueKeepsTheFileAsOriginBesideOverrides) {
  // An override of another key does not make the file's bad value look as if it came from --set.
  try {
    parse_config("threads = -1\n", "deck.toml", {parse_override("items=5")});
    FAIL() << "threads = -1 accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("deck.toml: ", 0), 0u) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Task farms (workload.kind = "command")

TEST(ConfigCommand, KeysAndDefaults) {
  const auto c = parse_config("items = 5\n[workload]\nkind = \"command\"\ncommand = \"echo {item}\"\n", "f.toml");
  EXPECT_EQ(c.workload.command, "echo {item}");
  EXPECT_EQ(c.items, 5u);
  EXPECT_EQ(c.workload.retries, 0);
  EXPECT_FALSE(c.workload.fail_fast);
  EXPECT_EQ(c.workload.kill_grace, 10.0);
  EXPECT_EQ(c.workload.output, "");
  const auto d = parse_config("[workload]\nkind = \"command\"\ncommand = \"x\"\nretries = 2\nfail_fast = true\n"
                              "kill_grace = 1.5\noutput = \"out\"\n", "/decks/f.toml");
  EXPECT_EQ(d.workload.retries, 2);
  EXPECT_TRUE(d.workload.fail_fast);
  EXPECT_EQ(d.workload.kill_grace, 1.5);
  EXPECT_EQ(d.workload.output, "/decks/out");  // relative to the deck's folder
}

TEST(ConfigCommand, ATaskFileWithoutItemsLeavesTheCountToTheFile) {
  const auto c = parse_config("[workload]\nkind = \"command\"\ntasks = \"list.txt\"\n", "/decks/f.toml");
  EXPECT_EQ(c.workload.tasks, "/decks/list.txt");
  EXPECT_EQ(c.items, 0u);
  const auto d = parse_config("items = 3\n[workload]\nkind = \"command\"\ntasks = \"list.txt\"\n", "f.toml");
  EXPECT_EQ(d.items, 3u);
}

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "farm.toml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ConfigCommand, BadKeysAreOneLineNamingKeyAndWhatIsAccepted) {
  const std::string head = "[workload]\nkind = \"command\"\n";
  EXPECT_NE(error_of(head).find("needs exactly one of them"), std::string::npos) << error_of(head);
  EXPECT_NE(error_of(head + "command = \"a\"\ntasks = \"b\"\n").find("needs exactly one of them"),
            std::string::npos);
  EXPECT_NE(error_of(head + "command = \"\"\n").find("key 'workload.command' = \"\": accepted: a shell command"),
            std::string::npos) << error_of(head + "command = \"\"\n");
  EXPECT_NE(error_of(head + "command = \"a\"\nretries = -1\n").find("key 'workload.retries' = -1: accepted: an "
                                                                     "integer in [0, 100]"), std::string::npos);
  EXPECT_NE(error_of(head + "command = \"a\"\nfail_fast = 1\n").find("accepted: true or false"), std::string::npos);
  EXPECT_NE(error_of(head + "command = \"a\"\nkill_grace = 0\n").find("accepted: a number > 0"), std::string::npos);
  EXPECT_NE(error_of("[workload]\nkind = \"fib\"\ncommand = \"a\"\n").find("does not apply to workload \"fib\""),
            std::string::npos);
}

}  // namespace
}  // namespace hybridscope
