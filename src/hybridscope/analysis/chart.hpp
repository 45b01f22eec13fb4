#pragma once
// The one chart module of every picture (plot, compare, study, advise, the HTML reports): SVG text,
// text measurement and shortening, colours, scales, ticks, axes and legends, written by hand so that
// the pictures stay small and need nothing at run time.
//
// Conventions the picture tests rely on (tests/pictures): a chart is a <g class="chart">; its axes
// hold one <g class="tick"> per tick; its series carry data-series="NAME" and its legend has one
// <g class="legend-entry" data-series="NAME"> per series; no text is rotated.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hybridscope/trace/interval.hpp"

namespace hybridscope::analysis::chart {

constexpr double kFontSize = 11;

std::string escape(std::string_view text);
// An <svg> element (no XML declaration, so that it also goes inline into HTML) with a white page.
std::string open_svg(double width, double height, std::string_view title);
std::string text(double x, double y, std::string_view content, std::string_view attributes = {});

// Width in pixels of `text` in DejaVu Sans (the widest common sans-serif; Arial and Helvetica are
// narrower, so what fits here fits there). Non-ASCII characters count as one em.
double text_width(std::string_view text, double size = kFontSize, bool bold = false);
// `text`, cut with an ellipsis to at most `width` pixels.
std::string shorten(std::string_view text, double width, double size = kFontSize, bool bold = false);

// The colour of an activity kind, shared by every picture and its legend.
std::string_view colour(trace::Activity kind);
// The colour of a layout kind ("threads", "processes", "hybrid"), the same in every picture.
std::string_view layout_colour(std::string_view kind);
inline constexpr std::string_view kLayoutKinds[] = {"threads", "processes", "hybrid"};

// A step for about `ticks` axis ticks over `span`: 1, 2 or 5 times a power of ten.
double nice_step(double span, int ticks);
// "1.5 s", "20 ms", "300 us".
std::string seconds_label(double seconds);
// A time tick: seconds with as many decimals as `step` needs, so that ticks stay distinct at any zoom.
std::string time_tick_label(double seconds, double step);

// Maps values onto pixels, linearly or on a log2 axis.
struct Scale {
  double lo = 0, hi = 1;          // values
  double from = 0, to = 1;        // pixels
  bool log2 = false;
  double operator()(double value) const;
};

struct Tick {
  double value;
  std::string label;
};

// Ticks of a linear axis whose labels (made by `label`) fit `pixels` side by side, at least 2.
std::vector<Tick> linear_ticks(double lo, double hi, double pixels, std::string (*label)(double value, double step));
// Powers of two from lo to hi (on a log2 axis), thinned until their labels fit.
std::vector<Tick> log2_ticks(double lo, double hi, double pixels);
// Time ticks (seconds) for a time axis of `pixels`.
std::vector<Tick> time_ticks(double lo_s, double hi_s, double pixels);
std::string number_label(double value, double step);
std::string percent_label(double value, double step);

// Axes: the line, a <g class="tick"> per tick and the title. x_axis at the bottom edge `y` of the
// plot area; y_axis at its left edge `x`, with grid lines across `grid_width` when it is > 0.
std::string x_axis(const Scale& x, double y, const std::vector<Tick>& ticks, std::string_view title);
std::string y_axis(const Scale& y, double x, const std::vector<Tick>& ticks, std::string_view title,
                   double grid_width = 0);
// Category labels under (x_axis-like) evenly spaced slots; every label that would touch its
// neighbour is left out (each bar keeps its <title> for hovering).
std::string category_axis(double left, double slot, double y, const std::vector<std::string>& labels,
                          std::string_view title);

struct LegendEntry {
  std::string series;  // data-series, also the label
  std::string colour;
  enum class Mark { box, line, dashed, dot } mark = Mark::box;
};

// A legend in rows no wider than `width`, starting at (x, y) (the top); returns its SVG and adds its
// height to `height`.
std::string legend(double x, double y, double width, const std::vector<LegendEntry>& entries, double& height);

}  // namespace hybridscope::analysis::chart
