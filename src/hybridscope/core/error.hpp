#pragma once
// Errors carry the process exit code, as CLI11's do, so the driver maps any failure to one exit path.
#include <stdexcept>
#include <string>

namespace hybridscope {

enum class ExitCode : int { ok = 0, failure = 1, bad_input = 2 };

class Error : public std::runtime_error {
public:
  Error(const std::string& what, ExitCode code = ExitCode::failure)
      : std::runtime_error(what), code_(code) {}
  ExitCode code() const noexcept { return code_; }

private:
  ExitCode code_;
};

// Invalid input deck, override or command line: exit code 2 on every rank.
class InputError : public Error {
public:
  explicit InputError(const std::string& what) : Error(what, ExitCode::bad_input) {}
};

}  // namespace hybridscope
