#pragma once
#include <string>

#include "hybridscope/config/config.hpp"
#include "hybridscope/run.hpp"

namespace hybridscope::report {

// The short text `hybridscope run` prints on rank 0.
std::string format_summary(const RunResult& result, const RunConfig& config, const std::string& origin);

}  // namespace hybridscope::report
