#pragma once
// Several runs side by side: threads only vs processes only vs hybrid, and scaling with workers.
#include <string>
#include <vector>

#include "hybridscope/analysis/report.hpp"

namespace hybridscope::analysis {

// A table: wall time, speedup over the run with the fewest workers, efficiency, items/s.
std::string compare_table(const std::vector<Report>& runs);
// Bars of wall time and efficiency per run; when the runs differ in worker count, also wall time
// against workers, one line per layout kind and workload.
std::string compare_svg(const std::vector<Report>& runs);

}  // namespace hybridscope::analysis
