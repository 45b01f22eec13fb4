// libFuzzer target: the command line. The bytes are the arguments after argv[0] = "hybridscope",
// NUL-separated (as no argument can hold a NUL). cli::parse has no side effects; what it returns is
// then checked as main.cpp uses it, and every --set value goes through parse_override and the
// built-in default input as `hybridscope run --set ...` does.
// Expected outcomes: a command, or an exit code with a message. Findings: a crash, a leak, undefined
// behaviour, an exception, and a result that is neither a command nor an exit code.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "hybridscope/cli/command_line.hpp"
#include "hybridscope/config/config.hpp"
#include "hybridscope/core/error.hpp"

namespace {

using namespace hybridscope;

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "fuzz_command_line: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> words{"hybridscope"};
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (size > 0) {
    for (auto nul = bytes.find('\0');; nul = bytes.find('\0')) {
      words.emplace_back(bytes.substr(0, nul));
      if (nul == std::string_view::npos) break;
      bytes.remove_prefix(nul + 1);
    }
  }
  std::vector<const char*> argv;
  for (const auto& w : words) argv.push_back(w.c_str());
  argv.push_back(nullptr);

  const cli::Parsed p = cli::parse(static_cast<int>(words.size()), argv.data());
  if (p.exit_code) {
    if (p.command != cli::Command::none) finding("an exit code and a command");
    if (*p.exit_code != 0 && p.err.empty()) finding("a failure without a message");
    return 0;
  }
  if (p.command == cli::Command::none) finding("neither a command nor an exit code");
  const bool post = p.command == cli::Command::report || p.command == cli::Command::plot ||
                    p.command == cli::Command::compare || p.command == cli::Command::export_trace;
  if (post && p.post.files.empty()) finding("no timeline file");
  if ((p.command == cli::Command::plot || p.command == cli::Command::export_trace) &&
      p.post.output.empty())
    finding("no default output");

  try {
    std::vector<Override> overrides;
    for (const auto& s : p.run.sets) {
      overrides.push_back(parse_override(s));
      if (overrides.back().key + "=" + overrides.back().value != s) finding("--set split wrongly");
    }
    (void)parse_config(kDefaultInput, "built-in default", overrides);
  } catch (const Error&) {
    // bad --set, rejected as it should be
  }
  return 0;
}
