#include "hybridscope/analysis/svg.hpp"

#include <cmath>

namespace hybridscope::analysis::svg {

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

std::string header(double width, double height, std::string_view title) {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<title>{2}</title>\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      width, height, escape(title));
}

std::string text(double x, double y, std::string_view content, std::string_view attributes) {
  return fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\"{}{}>{}</text>\n", x, y, attributes.empty() ? "" : " ",
                     attributes, escape(content));
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

double nice_step(double span, int ticks) {
  if (span <= 0) return 1;
  const double raw = span / ticks;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

std::string seconds_label(double s) {
  const double a = std::fabs(s);
  if (a == 0) return "0";
  if (a >= 1) return fmt::format("{:g} s", s);
  if (a >= 1e-3) return fmt::format("{:g} ms", s * 1e3);
  return fmt::format("{:g} us", s * 1e6);
}

}  // namespace hybridscope::analysis::svg
