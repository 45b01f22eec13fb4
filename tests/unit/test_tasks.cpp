// A task farm's commands: the task file, the template, the digest that --resume compares, and the
// item count a task file sets (or must agree with).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "hybridscope/config/tasks.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/trace/task.hpp"
#include "temp_dir.hpp"

namespace hybridscope {
namespace {

using test_support::TempDir;

std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
  const auto path = (dir.path() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(TaskList, OneCommandPerLineWithoutBlanksAndComments) {
  TempDir dir;
  const auto path = write(dir, "t.txt", "# header\n\necho a\n   # indented comment\n  echo b  \r\n\t\necho '#c'\nlast");
  EXPECT_EQ(read_task_list(path), (std::vector<std::string>{"echo a", "  echo b  ", "echo '#c'", "last"}));
}

TEST(TaskList, MissingFileAndDirectoryAreNamed) {
  TempDir dir;
  const auto missing = (dir.path() / "nope.txt").string();
  try {
    read_task_list(missing);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(missing + ": cannot open"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_task_list(dir.path().string()), InputError);
}

TEST(TaskCommand, EveryPlaceholderBecomesTheItem) {
  EXPECT_EQ(expand_command("run {item} > out-{item}.txt", 42), "run 42 > out-42.txt");
  EXPECT_EQ(expand_command("no placeholder", 7), "no placeholder");
  EXPECT_EQ(expand_command("{item}{item}", 0), "00");
  EXPECT_EQ(expand_command("{ite} {item", 3), "{ite} {item");
}

TEST(TaskDigest, ChangesWithAnyCommandOrTheirOrder) {
  const auto a = task_list_digest({"echo a", "echo b"});
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a, task_list_digest({"echo a", "echo b"}));
  EXPECT_NE(a, task_list_digest({"echo b", "echo a"}));
  EXPECT_NE(a, task_list_digest({"echo a", "echo c"}));
  EXPECT_NE(a, task_list_digest({"echo aecho b"}));
}

RunConfig farm_of(const std::string& tasks, std::uint64_t items) {
  RunConfig c;
  c.items = items;
  c.workload.kind = WorkloadKind::command;
  c.workload.tasks = tasks;
  return c;
}

TEST(ResolveTasks, ATaskFileSetsTheItemsOrMustAgree) {
  TempDir dir;
  const auto path = write(dir, "t.txt", "a\nb\nc\n");
  std::vector<std::string> warnings;
  auto c = farm_of(path, 0);
  EXPECT_EQ(resolve_tasks(c, "f.toml", warnings), task_list_digest({"a", "b", "c"}));
  EXPECT_EQ(c.items, 3u);
  auto agreeing = farm_of(path, 3);
  EXPECT_NO_THROW(resolve_tasks(agreeing, "f.toml", warnings));
  auto other = farm_of(path, 4);
  try {
    resolve_tasks(other, "f.toml", warnings);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("key 'items' = 4: the task file \"" + path + "\" holds 3 commands"),
              std::string::npos) << e.what();
  }
  EXPECT_TRUE(warnings.empty());
}

TEST(ResolveTasks, AnEmptyOrMissingTaskFileIsRefusedNamingKeyAndFile) {
  TempDir dir;
  std::vector<std::string> warnings;
  auto empty = farm_of(write(dir, "empty.txt", "# only a comment\n\n"), 0);
  try {
    resolve_tasks(empty, "f.toml", warnings);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("f.toml: key 'workload.tasks' = \"" + empty.workload.tasks + "\": holds no command"),
              std::string::npos) << e.what();
  }
  auto missing = farm_of((dir.path() / "missing.txt").string(), 0);
  try {
    resolve_tasks(missing, "f.toml", warnings);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("key 'workload.tasks' = \"" + missing.workload.tasks + "\": cannot open"),
              std::string::npos) << e.what();
  }
}

TEST(ResolveTasks, ATemplateWithoutPlaceholderWarnsForSeveralItems) {
  std::vector<std::string> warnings;
  RunConfig c;
  c.workload.kind = WorkloadKind::command;
  c.workload.command = "date";
  c.items = 1;
  EXPECT_EQ(resolve_tasks(c, "f.toml", warnings), "");
  EXPECT_TRUE(warnings.empty());
  c.items = 2;
  resolve_tasks(c, "f.toml", warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("no {item} placeholder"), std::string::npos) << warnings[0];
  c.workload.command = "date {item}";
  warnings.clear();
  resolve_tasks(c, "f.toml", warnings);
  EXPECT_TRUE(warnings.empty());
}

TEST(TaskOutput, ShardedByThousandsWithTheAttemptForRetries) {
  EXPECT_EQ(trace::task_output_path("/o", 0, 0, "out"), "/o/0/0.out");
  EXPECT_EQ(trace::task_output_path("/o", 12345, 0, "err"), "/o/12/12345.err");
  EXPECT_EQ(trace::task_output_path("/o", 999, 2, "out"), "/o/0/999.2.out");
}

TEST(TaskAttempt, StatusValueIsZeroOnlyForSuccess) {
  trace::TaskAttempt a;
  EXPECT_TRUE(a.succeeded());
  EXPECT_EQ(a.status_value(), 0u);
  a.exit_code = 3;
  EXPECT_EQ(a.status_value(), 3u);
  a.exit_code = -1;
  a.signal = 9;
  EXPECT_FALSE(a.succeeded());
  EXPECT_EQ(a.status_value(), 265u);
}

}  // namespace
}  // namespace hybridscope
