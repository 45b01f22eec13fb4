#include "hybridscope/analysis/commands.hpp"

#include <fmt/format.h>

#include "hybridscope/analysis/compare.hpp"
#include "hybridscope/analysis/html.hpp"
#include "hybridscope/analysis/report.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/core/file.hpp"
#include "hybridscope/timeline/reader.hpp"

namespace hybridscope::analysis {

void report_command(const PostArgs& a) {
  if (a.html) {
    const auto loaded = timeline::load(a.files.at(0), timeline::Load::intervals_with_items);
    write_new_file(a.output, report_html(loaded, analyse(loaded)), a.force);
    fmt::print("report     {}\n", a.output);
    return;
  }
  if (!a.output.empty() || a.force)
    throw InputError(fmt::format("report: -o and --force apply to report --html (accepted: report {} --html -o "
                                 "PATH [--force])", a.files.at(0)));
  const auto report = analyse(timeline::load(a.files.at(0), timeline::Load::intervals));
  fmt::print("{}", a.json ? to_json(report) + "\n" : to_text(report));
}

void plot_command(const PostArgs& a) {
  write_new_file(a.output, plot_svg(timeline::load(a.files.at(0), timeline::Load::intervals), a.plot));
  fmt::print("plot       {}\n", a.output);
}

void compare_command(const PostArgs& a) {
  std::vector<Report> runs;
  for (const auto& f : a.files) runs.push_back(analyse(timeline::load(f, timeline::Load::summary)));
  fmt::print("{}", compare_table(runs));
  if (a.output.empty()) return;
  write_new_file(a.output, compare_svg(runs));
  fmt::print("chart      {}\n", a.output);
}

void export_command(const PostArgs& a) {
  const auto loaded = timeline::load(a.files.at(0), timeline::Load::intervals_with_items);
  const auto events = a.format == "otf2" ? export_otf2(loaded, a.exported, a.output)
                                         : export_perfetto(loaded, a.exported, a.output);
  fmt::print("export     {} ({} events, {})\n", a.output, events, a.format);
}

}  // namespace hybridscope::analysis
