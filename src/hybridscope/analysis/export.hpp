#pragma once
// Exports of a timeline to standard trace viewers.
#include <cstdint>
#include <optional>
#include <string>

#include "hybridscope/timeline/reader.hpp"

namespace hybridscope::analysis {

struct ExportOptions {
  std::optional<double> from_s, to_s;  // time window, seconds from the run's start
  std::uint64_t sample = 1;            // keep every Nth interval of each thread
  std::uint64_t max_events = 1'000'000;
};

// Chrome trace JSON for ui.perfetto.dev: a process per rank, a thread per thread, one complete event
// per interval. Throws InputError, before writing anything, when more than max_events would be
// written: Perfetto's JSON import holds about a million.
std::uint64_t export_perfetto(const timeline::Timeline& timeline, const ExportOptions& options, const std::string& path);

// An OTF2 archive (directory `path`, anchor file traces.otf2): a location group per rank, a location
// per thread, a region per interval kind, enter/leave per interval. Returns the events written.
std::uint64_t export_otf2(const timeline::Timeline& timeline, const ExportOptions& options, const std::string& path);

}  // namespace hybridscope::analysis
