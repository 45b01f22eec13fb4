#pragma once
// The headline of a run: layout, workload, wall time, checksum, POP efficiency and how busy each
// rank was. `hybridscope run` prints it when the run ends; `hybridscope report` starts with it.
#include <string>
#include <vector>

#include "hybridscope/metrics/pop.hpp"
#include "hybridscope/timeline/records.hpp"

namespace hybridscope::report {

// `first_line` names what the numbers are about ("input  inputs/x.toml" or "run  x.h5");
// `threads` are every worker thread of the run; `hosts` the host of each rank.
std::string format_summary(const std::string& first_line, const timeline::RunFacts& facts,
                           const timeline::RunSummary& summary, const std::vector<metrics::ThreadTimes>& threads,
                           const std::vector<std::string>& hosts);

}  // namespace hybridscope::report
