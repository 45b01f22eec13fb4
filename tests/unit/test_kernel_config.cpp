// User-kernel keys of an input deck (docs/kernels.md): plugin and python, paths relative to the deck
// or the working directory, the canonical round trip, and the loading errors of the workloads layer.
#include <gtest/gtest.h>

#include <filesystem>

#include "hybridscope/config/config.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/workloads/plugin.hpp"
#include "hybridscope/workloads/workloads.hpp"

namespace hybridscope {
namespace {

TEST(KernelConfig, PluginPathIsRelativeToTheDeck) {
  const RunConfig c = parse_config("[workload]\nkind = \"plugin\"\nlibrary = \"../lib/k.so\"\nargs = \"a b\"\n",
                                   "/decks/sub/run.toml");
  EXPECT_EQ(c.workload.kind, WorkloadKind::plugin);
  EXPECT_EQ(c.workload.library, "/decks/lib/k.so");
  EXPECT_EQ(c.workload.args, "a b");
}

TEST(KernelConfig, SetPathIsRelativeToTheWorkingDirectory) {
  const RunConfig c = parse_config("items = 2\n", "/decks/sub/run.toml",
                                   {{"workload.kind", "plugin"}, {"workload.library", "k.so"}});
  EXPECT_EQ(c.workload.library, (std::filesystem::current_path() / "k.so").lexically_normal().string());
}

TEST(KernelConfig, PythonDefaultsAndRoundTrip) {
  const RunConfig c = parse_config("[workload]\nkind = \"python\"\nfile = \"/k/x.py\"\n", "a.toml");
  EXPECT_EQ(c.workload.function, "work");
  const RunConfig again = parse_config(to_toml(c), "resolved");
  EXPECT_EQ(again.workload.file, "/k/x.py");
  EXPECT_EQ(again.workload.function, "work");
  const RunConfig m = parse_config("[workload]\nkind = \"python\"\nmodule = \"pkg.mod\"\nfunction = \"f\"\n", "a");
  EXPECT_EQ(parse_config(to_toml(m), "resolved").workload.module, "pkg.mod");
  const RunConfig p = parse_config("[workload]\nkind = \"plugin\"\nlibrary = \"/x/\\\"q\\\".so\"\nargs = \"n=1\"\n", "a");
  const RunConfig p2 = parse_config(to_toml(p), "resolved");
  EXPECT_EQ(p2.workload.library, p.workload.library);
  EXPECT_EQ(p2.workload.args, "n=1");
}

TEST(KernelConfig, BadKeysAreOneLineInputErrors) {
  const char* bad[] = {
      "[workload]\nkind = \"plugin\"\n",                                        // no library
      "[workload]\nkind = \"plugin\"\nlibrary = \"\"\n",                        // empty path
      "[workload]\nkind = \"python\"\n",                                        // neither file nor module
      "[workload]\nkind = \"python\"\nfile = \"a.py\"\nmodule = \"a\"\n",       // both
      "[workload]\nkind = \"python\"\nmodule = \"a-b\"\n",                      // not a name
      "[workload]\nkind = \"python\"\nfile = \"a.py\"\nfunction = \"a.b\"\n",   // not a function name
      "[workload]\nkind = \"fib\"\nlibrary = \"a.so\"\n",                       // key of another kind
  };
  for (const char* text : bad) {
    try {
      parse_config(text, "bad.toml");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.toml"), std::string::npos) << e.what();
    }
  }
}

TEST(KernelWorkload, MissingLibraryIsBadInput) {
  WorkloadConfig w;
  w.kind = WorkloadKind::plugin;
  w.library = "/nonexistent/libnothing.so";
  try {
    workloads::make_workload(w, 0.0);
    ADD_FAILURE() << "a missing library was loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/libnothing.so"), std::string::npos);
  }
}

TEST(KernelWorkload, PythonMissingFileIsBadInput) {
  if (!workloads::python_available()) GTEST_SKIP() << "built without Python";
  WorkloadConfig w;
  w.kind = WorkloadKind::python;
  w.file = "/nonexistent/kernel.py";
  try {
    workloads::make_workload(w, 0.0);
    ADD_FAILURE() << "a missing file was loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
  }
}

}  // namespace
}  // namespace hybridscope
