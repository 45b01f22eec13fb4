#pragma once
// The activity picture of a run: one lane per rank and thread, coloured by what it did, aggregated
// to the pixel so that its size does not grow with the number of intervals; below it, utilisation
// over time and items per thread.
#include <optional>
#include <string>

#include "hybridscope/timeline/reader.hpp"

namespace hybridscope::analysis {

struct PlotOptions {
  int width = 1200;                // pixels of the time axis
  std::optional<double> from_s;    // time window, seconds from the run's start
  std::optional<double> to_s;
};

// Needs the intervals. Throws InputError for an empty or inverted window.
std::string plot_svg(const timeline::Timeline& timeline, const PlotOptions& options);

}  // namespace hybridscope::analysis
