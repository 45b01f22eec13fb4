#pragma once
// Several runs side by side: threads only vs processes only vs hybrid, and scaling with workers.
#include <string>
#include <vector>

#include "hybridscope/analysis/report.hpp"

namespace hybridscope::analysis {

// A table: wall time, speedup over the fastest run with the fewest workers, efficiency, items/s.
std::string compare_table(const std::vector<Report>& runs);
// A row of charts per workload: speedup against workers (log2 axes, the ideal line, a line per
// layout kind; when its runs differ in workers), and per run its wall time and its parallel
// efficiency split into load balance and the rest (docs/pictures.md).
std::string compare_svg(const std::vector<Report>& runs);

}  // namespace hybridscope::analysis
