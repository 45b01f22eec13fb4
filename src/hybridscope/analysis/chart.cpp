#include "hybridscope/analysis/chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace hybridscope::analysis::chart {

namespace {

// Advance widths of ASCII 32-126 in hundredths of an em, regular and bold DejaVu Sans, as Chromium
// measures them.
constexpr unsigned char kRegular[95] = {
    32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 50, 84, 32, 36, 32, 34, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 34, 34, 84, 84, 84, 53, 100, 68, 69, 70, 77, 63, 58, 77, 75, 29, 29, 66, 56, 86, 75, 79,
    60, 79, 69, 63, 61, 73, 68, 99, 69, 61, 69, 39, 34, 39, 84, 50, 50, 61, 63, 55, 63, 62, 35, 63,
    63, 28, 28, 58, 28, 97, 63, 61, 63, 63, 41, 52, 39, 63, 59, 82, 59, 59, 52, 64, 34, 64, 84};
constexpr unsigned char kBold[95] = {
    35, 46, 52, 84, 70, 100, 87, 31, 46, 46, 52, 84, 38, 42, 38, 37, 70, 70, 70, 70, 70, 70, 70, 70,
    70, 70, 40, 40, 84, 84, 84, 58, 100, 77, 76, 73, 83, 68, 68, 82, 84, 37, 37, 77, 64, 100, 84, 85,
    73, 85, 77, 72, 68, 81, 77, 110, 77, 72, 73, 46, 37, 46, 84, 50, 50, 67, 72, 59, 72, 68, 44, 72,
    71, 34, 34, 67, 34, 104, 71, 69, 72, 72, 49, 60, 48, 71, 65, 92, 65, 65, 58, 71, 37, 71, 84};

constexpr double kTickLength = 4;
constexpr double kTickGap = 12;  // pixels between neighbouring tick labels

// Whether labels centred at the ticks' positions keep kTickGap apart.
bool labels_fit(const std::vector<Tick>& ticks, const Scale& s) {
  for (std::size_t i = 1; i < ticks.size(); ++i) {
    const double room = std::fabs(s(ticks[i].value) - s(ticks[i - 1].value));
    if (room < (text_width(ticks[i].label) + text_width(ticks[i - 1].label)) / 2 + kTickGap) return false;
  }
  return true;
}

std::string mark_svg(const LegendEntry& e, double x, double y) {
  using M = LegendEntry::Mark;
  switch (e.mark) {
    case M::box:
      return fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\" stroke=\"#666\" "
                         "stroke-width=\"0.5\"/>", x, y - 9, e.colour);
    case M::line:
    case M::dashed:
      return fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"{}/>", x,
                         y - 4, x + 16, y - 4, e.colour, e.mark == M::dashed ? " stroke-dasharray=\"4 3\"" : "");
    case M::dot: return fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\"/>", x + 5, y - 4, e.colour);
  }
  return "";
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string open_svg(double width, double height, std::string_view title) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"DejaVu Sans, Verdana, sans-serif\" font-size=\"{2}\">\n<title>{3}</title>\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      width, height, kFontSize, escape(title));
}

std::string text(double x, double y, std::string_view content, std::string_view attributes) {
  return fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\"{}{}>{}</text>\n", x, y, attributes.empty() ? "" : " ",
                     attributes, escape(content));
}

double text_width(std::string_view text, double size, bool bold) {
  double ems = 0;
  for (unsigned char c : text) {
    if (c >= 32 && c < 127)
      ems += (bold ? kBold : kRegular)[c - 32] / 100.0;
    else if ((c & 0xC0) != 0x80)  // the first byte of a UTF-8 character
      ems += 1;
  }
  return ems * size;
}

std::string shorten(std::string_view text, double width, double size, bool bold) {
  if (text_width(text, size, bold) <= width) return std::string(text);
  std::string out(text);
  while (!out.empty() && text_width(out + "…", size, bold) > width) {
    out.pop_back();
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  }
  return out + "…";
}

std::string_view colour(trace::Activity kind) {
  switch (kind) {
    case trace::Activity::startup: return "#b0b0b0";
    case trace::Activity::work: return "#2ca02c";
    case trace::Activity::io: return "#17becf";
    case trace::Activity::idle: return "#e8e8e8";
    case trace::Activity::handout: return "#ff7f0e";
    case trace::Activity::lock_wait: return "#d62728";
    case trace::Activity::shutdown: return "#808080";
    case trace::Activity::abandoned: return "#8c564b";
    case trace::Activity::mpi: return "#9467bd";
  }
  return "#000000";
}

std::string_view layout_colour(std::string_view kind) {
  // Okabe-Ito: told apart also by colour-blind readers.
  if (kind == "threads") return "#0072b2";
  if (kind == "processes") return "#d55e00";
  if (kind == "hybrid") return "#cc79a7";
  return "#555555";
}

double nice_step(double span, int ticks) {
  if (span <= 0) return 1;
  const double raw = span / std::max(1, ticks);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * power >= raw * (1 - 1e-9)) return m * power;
  return 10 * power;
}

std::string seconds_label(double s) {
  const double a = std::fabs(s);
  if (a == 0) return "0";
  if (a >= 1) return fmt::format("{:g} s", s);
  if (a >= 1e-3) return fmt::format("{:g} ms", s * 1e3);
  return fmt::format("{:g} us", s * 1e6);
}

std::string time_tick_label(double seconds, double step) {
  const int decimals = std::clamp(int(std::ceil(-std::log10(step) - 1e-9)), 0, 9);
  if (std::fabs(seconds) < step * 1e-6) seconds = 0;  // no "-0"
  return fmt::format("{:.{}f} s", seconds, decimals);
}

std::string number_label(double value, double step) {
  const int decimals = std::clamp(int(std::ceil(-std::log10(step) - 1e-9)), 0, 9);
  if (std::fabs(value) < step * 1e-6) value = 0;
  return fmt::format("{:.{}f}", value, decimals);
}

std::string percent_label(double value, double step) { return number_label(100 * value, 100 * step) + "%"; }

double Scale::operator()(double value) const {
  const double a = log2 ? std::log2(lo) : lo, b = log2 ? std::log2(hi) : hi;
  const double v = log2 ? std::log2(std::max(value, 1e-300)) : value;
  return b == a ? from : from + (to - from) * (v - a) / (b - a);
}

std::vector<Tick> linear_ticks(double lo, double hi, double pixels, std::string (*label)(double, double)) {
  const Scale s{lo, hi, 0, pixels};
  for (int wanted = std::max(2, int(pixels / 50));; wanted = std::max(1, wanted * 2 / 3)) {
    const double step = nice_step(hi - lo, wanted);
    std::vector<Tick> ticks;
    for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; ++k)
      ticks.push_back({k * step, label(k * step, step)});
    if (wanted == 1 || labels_fit(ticks, s)) return ticks;
  }
}

std::vector<Tick> log2_ticks(double lo, double hi, double pixels) {
  const Scale s{lo, hi, 0, pixels, true};
  for (int every = 1;; every *= 2) {
    std::vector<Tick> ticks;
    for (int e = int(std::ceil(std::log2(lo) - 1e-9)); e <= int(std::floor(std::log2(hi) + 1e-9)); ++e)
      if (e % every == 0) ticks.push_back({std::ldexp(1.0, e), fmt::format("{:g}", std::ldexp(1.0, e))});
    if (ticks.size() <= 2 || labels_fit(ticks, s)) return ticks;
  }
}

std::vector<Tick> time_ticks(double lo_s, double hi_s, double pixels) {
  return linear_ticks(lo_s, hi_s, pixels, time_tick_label);
}

std::string x_axis(const Scale& x, double y, const std::vector<Tick>& ticks, std::string_view title) {
  std::string out = fmt::format("<g class=\"axis x\"><line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" "
                                "stroke=\"black\"/>\n", x.from, y, x.to, y);
  for (const auto& t : ticks) {
    const double px = x(t.value);
    out += fmt::format("<g class=\"tick\"><line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" "
                       "stroke=\"black\"/>", px, y, y + kTickLength);
    out += text(px, y + kTickLength + 13, t.label, "text-anchor=\"middle\"") + "</g>";
  }
  if (!title.empty()) out += text((x.from + x.to) / 2, y + 32, title, "text-anchor=\"middle\" class=\"axis-title\"");
  return out + "</g>\n";
}

std::string y_axis(const Scale& y, double x, const std::vector<Tick>& ticks, std::string_view title,
                   double grid_width) {
  std::string out = fmt::format("<g class=\"axis y\"><line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" "
                                "stroke=\"black\"/>\n", x, y.from, x, y.to);
  double widest = 0;
  for (const auto& t : ticks) {
    const double py = y(t.value);
    widest = std::max(widest, text_width(t.label));
    out += "<g class=\"tick\">";
    if (grid_width > 0)
      out += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e0e0e0\"/>", x, py,
                         x + grid_width, py);
    out += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"black\"/>", x - kTickLength,
                       py, x, py);
    out += text(x - kTickLength - 2, py + 4, t.label, "text-anchor=\"end\"") + "</g>";
  }
  // The title above the axis, left-aligned with the tick labels: horizontal text stays readable.
  if (!title.empty())
    out += text(x - kTickLength - 2 - widest, std::min(y.from, y.to) - 14, title, "class=\"axis-title\"");
  return out + "</g>\n";
}

std::string category_axis(double left, double slot, double y, const std::vector<std::string>& labels,
                          std::string_view title) {
  std::string out = "<g class=\"axis x\">";
  double free_from = -1e9;  // the first pixel after the last label drawn
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double centre = left + slot * (double(i) + 0.5), half = text_width(labels[i]) / 2;
    out += fmt::format("<g class=\"tick\"><line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" "
                       "stroke=\"black\"/>", centre, y, y + kTickLength);
    if (centre - half >= free_from) {
      out += text(centre, y + kTickLength + 13, labels[i], "text-anchor=\"middle\"");
      free_from = centre + half + kTickGap / 2;
    }
    out += "</g>";
  }
  out += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"black\"/>", left, y,
                     left + slot * double(labels.size()), y);
  if (!title.empty())
    out += text(left + slot * double(labels.size()) / 2, y + 32, title, "text-anchor=\"middle\" class=\"axis-title\"");
  return out + "</g>\n";
}

std::string legend(double x, double y, double width, const std::vector<LegendEntry>& entries, double& height) {
  constexpr double kRow = 16, kMark = 20, kSpace = 14;
  std::string out = "<g class=\"legend\">";
  double cx = x, cy = y + 11;
  for (const auto& e : entries) {
    const double w = kMark + text_width(e.series);
    if (cx > x && cx + w > x + width) {
      cx = x;
      cy += kRow;
    }
    out += fmt::format("<g class=\"legend-entry\" data-series=\"{}\">", escape(e.series));
    out += mark_svg(e, cx, cy) + text(cx + kMark, cy, e.series) + "</g>";
    cx += w + kSpace;
  }
  height += cy - y + 6;
  return out + "</g>\n";
}

}  // namespace hybridscope::analysis::chart
