#pragma once
// A few helpers for writing SVG by hand: the pictures are simple and must stay small.
#include <fmt/format.h>

#include <string>
#include <string_view>

#include "hybridscope/trace/interval.hpp"

namespace hybridscope::analysis::svg {

std::string escape(std::string_view text);
std::string header(double width, double height, std::string_view title);
std::string text(double x, double y, std::string_view content, std::string_view attributes = {});
// The colour of an activity kind, shared by every picture and its legend.
std::string_view colour(trace::Activity kind);
// A step for about `ticks` axis ticks over `span`: 1, 2 or 5 times a power of ten.
double nice_step(double span, int ticks);
// "1.5 s", "20 ms", "300 us".
std::string seconds_label(double seconds);

}  // namespace hybridscope::analysis::svg
