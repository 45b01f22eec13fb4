// New output files: never replace what exists, leave nothing behind on failure, never world-writable.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/file.hpp"

namespace fs = std::filesystem;
using hybridscope::NewFile;

namespace {

class NewFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "hybridscope-file-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
  }
  void TearDown() override { fs::remove_all(dir); }

  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::size_t entries() const { return std::distance(fs::directory_iterator(dir), fs::directory_iterator()); }

  fs::path dir;
};

TEST_F(NewFileTest, AppearsOnlyWhenCommitted) {
  const auto path = dir / "plot.svg";
  NewFile file(path.string());
  std::fputs("<svg/>", file.stream());
  EXPECT_FALSE(fs::exists(path));
  file.commit();
  EXPECT_EQ(read(path), "<svg/>");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(NewFileTest, RefusesAnExistingPathAndLeavesItAlone) {
  const auto path = dir / "mine.json";
  std::ofstream(path) << "precious";
  EXPECT_THROW(hybridscope::write_new_file(path.string(), "new"), hybridscope::InputError);
  EXPECT_EQ(read(path), "precious");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(NewFileTest, ReplacesOnlyWhenAskedTo) {  // a command's --force
  const auto path = dir / "report.html";
  std::ofstream(path) << "old";
  hybridscope::write_new_file(path.string(), "new", true);
  EXPECT_EQ(read(path), "new");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(NewFileTest, DoesNotReplaceAFileThatAppearedWhileWriting) {
  const auto path = dir / "out.json";
  {
    NewFile file(path.string());
    std::fputs("new", file.stream());
    std::ofstream(path) << "appeared";
    EXPECT_THROW(file.commit(), hybridscope::Error);
  }
  EXPECT_EQ(read(path), "appeared");
  EXPECT_EQ(entries(), 1u);  // the partial file is gone too
}

TEST_F(NewFileTest, RemovesThePartialFileWhenAbandoned) {
  {
    NewFile file((dir / "never.svg").string());
    std::fputs("half", file.stream());
  }
  EXPECT_EQ(entries(), 0u);
}

TEST_F(NewFileTest, FollowsTheUmaskButIsNeverWorldWritable) {
  for (const mode_t mask : {mode_t(0), mode_t(022), mode_t(077)}) {
    const mode_t before = ::umask(mask);
    const auto path = dir / ("mode-" + std::to_string(mask));
    hybridscope::write_new_file(path.string(), "x");
    ::umask(before);
    const auto perms = static_cast<mode_t>(fs::status(path).permissions());
    EXPECT_EQ(perms, 0664 & ~mask) << "umask " << std::oct << mask;
    EXPECT_FALSE(perms & S_IWOTH);
  }
}

}  // namespace
