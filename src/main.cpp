// hybridscope: the command-line driver. The library parses the command line and runs the command;
// this file only prints help and command-line errors once, and returns the command's exit code.
#include <fmt/format.h>

#include <cstdio>

#include "hybridscope/cli/command_line.hpp"

int main(int argc, char** argv) {
  using namespace hybridscope;
  const auto parsed = cli::parse(argc, argv);
  if (parsed.exit_code) {
    // Under mpirun every rank parses the same line; one copy of the help or the error is enough.
    if (cli::launcher_rank() == 0) {
      fmt::print(stdout, "{}", parsed.out);
      fmt::print(stderr, "{}", parsed.err);
    }
    return *parsed.exit_code;
  }
  return cli::dispatch(parsed, argc, argv);
}
