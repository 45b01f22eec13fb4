// topo: CPU lists as Linux and hwloc write them ("0-3,8,10-11"), parsed and printed, the calling
// thread's allowed CPUs, and the placement environment.
#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hybridscope/core/error.hpp"
#include "hybridscope/topo/host.hpp"

namespace hybridscope::topo {
namespace {

TEST(CpuList, ParsesNumbersAndRanges) {
  EXPECT_EQ(parse_cpu_list("0-3,8,10-11"), (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(parse_cpu_list("0"), (std::vector<int>{0}));
  EXPECT_EQ(parse_cpu_list("5"), (std::vector<int>{5}));
  EXPECT_EQ(parse_cpu_list("1-1"), (std::vector<int>{1}));
  EXPECT_EQ(parse_cpu_list("127"), (std::vector<int>{127}));
  EXPECT_EQ(parse_cpu_list("3,1,2"), (std::vector<int>{1, 2, 3}));  // a set: sorted
  EXPECT_EQ(parse_cpu_list("2,2,0-2"), (std::vector<int>{0, 1, 2}));  // and without repeats
  EXPECT_EQ(parse_cpu_list("0-1023").size(), 1024u);
}

TEST(CpuList, FormatsAsRanges) {
  EXPECT_EQ(format_cpu_list({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
  EXPECT_EQ(format_cpu_list({11, 8, 3, 2, 10, 1, 0}), "0-3,8,10-11");
  EXPECT_EQ(format_cpu_list({4, 4, 5}), "4-5");
  EXPECT_EQ(format_cpu_list({7}), "7");
  EXPECT_EQ(format_cpu_list({0, 2, 4}), "0,2,4");
  EXPECT_EQ(format_cpu_list({}), "");
}

TEST(CpuList, RoundTrips) {
  for (const std::string text : {"0-3,8,10-11", "0", "1,3,5,7", "0-63", "2-3,6-7,100"})
    EXPECT_EQ(format_cpu_list(parse_cpu_list(text)), text);
  const std::vector<int> cpus = {0, 2, 3, 4, 9, 17, 18, 19, 20, 64};
  EXPECT_EQ(parse_cpu_list(format_cpu_list(cpus)), cpus);
}

TEST(CpuList, RejectsWhatIsNotACpuList) {
  // hwloc alone reads "" as the empty set and "0-" as 0 to infinity; neither is a CPU list.
  for (const std::string text : {"", "abc", "x", "0-", "3-", "-", "1--2", "0x3", "+1", "1.5", " 1", "1 ", "1;2",
                                 "0-3,8-", "cpu0", "\n", "3-1", "-1", "1,,2", ",1", "1,", "1-2,", "0-3-5",
                                 "99999999999", "2147483648"}) {
    try {
      const auto cpus = parse_cpu_list(text);
      ADD_FAILURE() << "'" << text << "' parsed as " << format_cpu_list(cpus);
    } catch (const InputError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("'" + text + "'"), std::string::npos) << m;  // names the text
      EXPECT_EQ(e.code(), ExitCode::bad_input);
    }
  }
}

TEST(AllowedCpus, ParsesBackToTheAffinityMask) {
  const std::string text = allowed_cpus();
  ASSERT_FALSE(text.empty());
  const std::vector<int> cpus = parse_cpu_list(text);
  EXPECT_EQ(format_cpu_list(cpus), text);
  cpu_set_t mask;
  CPU_ZERO(&mask);
  ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
  EXPECT_EQ(cpus.size(), std::size_t(CPU_COUNT(&mask)));
  for (const int cpu : cpus) EXPECT_TRUE(CPU_ISSET(cpu, &mask)) << cpu;
  // This thread runs on one of them.
  const int here = sched_getcpu();
  if (here >= 0) EXPECT_NE(std::find(cpus.begin(), cpus.end(), here), cpus.end()) << here << " not in " << text;
}

TEST(AllowedCpus, FollowsTheThreadsAffinity) {
  // Restricting this thread to one of its CPUs shows in the list; the mask is restored afterwards.
  cpu_set_t saved;
  CPU_ZERO(&saved);
  ASSERT_EQ(sched_getaffinity(0, sizeof saved, &saved), 0);
  const std::vector<int> cpus = parse_cpu_list(allowed_cpus());
  ASSERT_FALSE(cpus.empty());
  const int last = cpus.back();
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(last, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  const std::string restricted = allowed_cpus();
  ASSERT_EQ(sched_setaffinity(0, sizeof saved, &saved), 0);
  EXPECT_EQ(restricted, std::to_string(last));
  EXPECT_EQ(parse_cpu_list(allowed_cpus()), cpus);
}

TEST(DescribeHost, CountsAreConsistent) {
  const HostTopology host = describe_host();
  if (host.pus == 0) GTEST_SKIP() << "hwloc cannot read this host";
  EXPECT_GE(host.pus, host.cores);
  EXPECT_GE(host.cores, 1);
  // The whole machine, also what this process may not use.
  EXPECT_GE(std::size_t(host.pus), parse_cpu_list(allowed_cpus()).size());
}

TEST(Environment, VariablesWithThePrefixesSortedByName) {
  ::setenv("HYBRIDSCOPE_UNIT_TOPO_B", "2", 1);
  ::setenv("HYBRIDSCOPE_UNIT_TOPO_A", "x=1", 1);
  ::setenv("HYBRIDSCOPE_UNIT_TOPX", "other", 1);
  const auto env = environment({"HYBRIDSCOPE_UNIT_TOPO_", "HYBRIDSCOPE_UNIT_TOPO_A"});  // overlapping prefixes
  ::unsetenv("HYBRIDSCOPE_UNIT_TOPO_B");
  ::unsetenv("HYBRIDSCOPE_UNIT_TOPO_A");
  ::unsetenv("HYBRIDSCOPE_UNIT_TOPX");
  const std::vector<std::pair<std::string, std::string>> expected = {{"HYBRIDSCOPE_UNIT_TOPO_A", "x=1"},
                                                                     {"HYBRIDSCOPE_UNIT_TOPO_B", "2"}};
  EXPECT_EQ(env, expected);
  EXPECT_TRUE(environment({}).empty());
}

}  // namespace
}  // namespace hybridscope::topo
