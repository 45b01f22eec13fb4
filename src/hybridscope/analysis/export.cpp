#include "hybridscope/analysis/export.hpp"

#include <fmt/format.h>
#include <otf2/otf2.h>

#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/file.hpp"

namespace hybridscope::analysis {

namespace {

struct Lane {
  int rank, thread;
  std::vector<std::size_t> rows;  // the intervals kept: in the window, sampled
};

// The intervals each export writes, lane by lane, in time order.
std::vector<Lane> select(const timeline::Timeline& t, const ExportOptions& o) {
  const auto& c = t.intervals;
  const std::int64_t from = o.from_s ? std::int64_t(*o.from_s * 1e9) : INT64_MIN;
  const std::int64_t to = o.to_s ? std::int64_t(*o.to_s * 1e9) : INT64_MAX;
  if (from >= to) throw InputError("export window: --from must be before --to (accepted: 0 <= --from < --to)");
  if (o.sample == 0) throw InputError("--sample 0 (accepted: keep every Nth interval, N >= 1)");
  std::vector<Lane> out;
  for (const auto& lane : timeline::lanes(c)) {
    out.push_back({lane.rank, lane.thread, {}});
    std::uint64_t seen = 0;
    for (std::size_t i = lane.first; i < lane.last; ++i) {
      if (c.end_ns[i] < from || c.begin_ns[i] > to) continue;
      if (seen++ % o.sample == 0) out.back().rows.push_back(i);
    }
  }
  return out;
}

std::uint64_t count(const std::vector<Lane>& lanes) {
  std::uint64_t n = 0;
  for (const auto& l : lanes) n += l.rows.size();
  return n;
}

std::string host_of(const timeline::Timeline& t, int rank) {
  for (const auto& r : t.ranks)
    if (r.rank == rank) return r.host;
  return "?";
}

// OTF2 calls return OTF2_SUCCESS or an error code with a description.
void otf2_check(OTF2_ErrorCode status, const char* what) {
  if (status != OTF2_SUCCESS)
    throw Error(fmt::format("OTF2: cannot {}: {}", what, OTF2_Error_GetDescription(status)));
}

OTF2_FlushType pre_flush(void*, OTF2_FileType, OTF2_LocationRef, void*, bool) { return OTF2_FLUSH; }
OTF2_TimeStamp post_flush(void*, OTF2_FileType, OTF2_LocationRef) { return 0; }
OTF2_FlushCallbacks kFlush = {pre_flush, post_flush};

// Bits of an OTF2 location reference that hold the thread number (threads are uint16 in /intervals).
constexpr int kThreadBits = 16;

}  // namespace

std::uint64_t export_perfetto(const timeline::Timeline& t, const ExportOptions& o, const std::string& path) {
  const auto lanes = select(t, o);
  const auto events = count(lanes);
  if (events > o.max_events)
    throw InputError(fmt::format(
        "{} events to export, more than Perfetto's JSON import holds (about 1 M; --max-events {}): "
        "narrow the time with --from/--to SECONDS, thin it with --sample N, or export --format otf2",
        events, o.max_events));
  NewFile out(path);
  const auto& c = t.intervals;
  const auto write = [&](const std::string& s) { std::fwrite(s.data(), 1, s.size(), out.stream()); };
  write("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
  bool first = true;
  const auto event = [&](const std::string& e) {
    write(first ? e : ",\n" + e);
    first = false;
  };
  std::map<int, bool> named;
  for (const auto& lane : lanes) {
    if (!named[lane.rank]) {
      named[lane.rank] = true;
      const nlohmann::json name = fmt::format("rank {} ({})", lane.rank, host_of(t, lane.rank));
      event(fmt::format(R"({{"ph":"M","pid":{},"name":"process_name","args":{{"name":{}}}}})", lane.rank,
                        name.dump()));
    }
    event(fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"thread_name","args":{{"name":"thread {}"}}}})",
                      lane.rank, lane.thread, lane.thread));
    for (const auto i : lane.rows) {
      const char* kind = trace::kActivityNames[c.kind[i]];
      std::string args = fmt::format(R"("cpu":{})", c.cpu[i]);
      if (!c.item.empty() && c.item[i] >= 0) args += fmt::format(R"(,"item":{},"chunk":{})", c.item[i], c.chunk[i]);
      event(fmt::format(R"({{"ph":"X","pid":{},"tid":{},"name":"{}","cat":"{}","ts":{:.3f},"dur":{:.3f},"args":{{{}}}}})",
                        lane.rank, lane.thread, kind, kind, double(c.begin_ns[i]) * 1e-3,
                        double(c.end_ns[i] - c.begin_ns[i]) * 1e-3, args));
    }
  }
  write("\n]}\n");
  out.commit();
  return events;
}

std::uint64_t export_otf2(const timeline::Timeline& t, const ExportOptions& o, const std::string& path) {
  const auto lanes = select(t, o);
  refuse_existing(path);
  const auto& c = t.intervals;
  std::unique_ptr<OTF2_Archive, OTF2_ErrorCode (*)(OTF2_Archive*)> archive(
      OTF2_Archive_Open(path.c_str(), "traces", OTF2_FILEMODE_WRITE, 1 << 20, 4 << 20, OTF2_SUBSTRATE_POSIX,
                        OTF2_COMPRESSION_NONE),
      OTF2_Archive_Close);
  if (!archive) throw Error(fmt::format("OTF2: cannot create the archive '{}'", path));
  otf2_check(OTF2_Archive_SetFlushCallbacks(archive.get(), &kFlush, nullptr), "set flush callbacks");
  otf2_check(OTF2_Archive_SetSerialCollectiveCallbacks(archive.get()), "set collective callbacks");
  otf2_check(OTF2_Archive_OpenEvtFiles(archive.get()), "open event files");

  // A location per thread: the rank in the high bits, the thread (at most 2^16 per rank) below.
  const auto location = [](const Lane& l) {
    return (OTF2_LocationRef(l.rank) << kThreadBits) | OTF2_LocationRef(l.thread);
  };
  std::uint64_t events = 0;
  for (const auto& lane : lanes) {
    OTF2_EvtWriter* writer = OTF2_Archive_GetEvtWriter(archive.get(), location(lane));
    if (!writer) throw Error("OTF2: cannot open an event writer");
    for (const auto i : lane.rows) {
      const OTF2_RegionRef region = c.kind[i];
      otf2_check(OTF2_EvtWriter_Enter(writer, nullptr, OTF2_TimeStamp(c.begin_ns[i]), region), "write enter");
      otf2_check(OTF2_EvtWriter_Leave(writer, nullptr, OTF2_TimeStamp(c.end_ns[i]), region), "write leave");
      events += 2;
    }
    otf2_check(OTF2_Archive_CloseEvtWriter(archive.get(), writer), "close an event writer");
  }
  otf2_check(OTF2_Archive_CloseEvtFiles(archive.get()), "close event files");

  // Per location: the timestamps are already on rank 0's clock, so the offset is 0; the standard
  // deviation says how well it is known (half the best round trip of the clock measurement).
  otf2_check(OTF2_Archive_OpenDefFiles(archive.get()), "open definition files");
  for (const auto& lane : lanes) {
    OTF2_DefWriter* defs = OTF2_Archive_GetDefWriter(archive.get(), location(lane));
    double error = 0;
    for (const auto& r : t.ranks)
      if (r.rank == lane.rank) error = double(r.clock_round_trip_start_ns) / 2;
    otf2_check(OTF2_DefWriter_WriteClockOffset(defs, 0, 0, error), "write a clock offset");
    otf2_check(OTF2_Archive_CloseDefWriter(archive.get(), defs), "close a definition writer");
  }
  otf2_check(OTF2_Archive_CloseDefFiles(archive.get()), "close definition files");

  OTF2_GlobalDefWriter* g = OTF2_Archive_GetGlobalDefWriter(archive.get());
  const auto wall_ns = std::uint64_t(std::max(0.0, t.summary.wall_seconds * 1e9));
  otf2_check(OTF2_GlobalDefWriter_WriteClockProperties(g, 1'000'000'000, 0, wall_ns, OTF2_UNDEFINED_TIMESTAMP),
             "write clock properties");
  OTF2_StringRef next_string = 0;
  const auto string = [&](const std::string& s) {
    otf2_check(OTF2_GlobalDefWriter_WriteString(g, next_string, s.c_str()), "write a string");
    return next_string++;
  };
  const auto empty = string("");
  for (std::size_t k = 0; k < trace::kActivityCount; ++k) {
    const auto name = string(trace::kActivityNames[k]);
    otf2_check(OTF2_GlobalDefWriter_WriteRegion(g, OTF2_RegionRef(k), name, name, empty, OTF2_REGION_ROLE_FUNCTION,
                                                OTF2_PARADIGM_USER, OTF2_REGION_FLAG_NONE, empty, 0, 0),
               "write a region");
  }
  const auto machine = string("machine"), node_class = string("node");
  otf2_check(OTF2_GlobalDefWriter_WriteSystemTreeNode(g, 0, string(t.path), machine,
                                                      OTF2_UNDEFINED_SYSTEM_TREE_NODE), "write the machine");
  std::map<std::string, OTF2_SystemTreeNodeRef> nodes;
  for (const auto& r : t.ranks)
    if (!nodes.count(r.host)) {
      const auto id = OTF2_SystemTreeNodeRef(nodes.size() + 1);
      nodes[r.host] = id;
      otf2_check(OTF2_GlobalDefWriter_WriteSystemTreeNode(g, id, string(r.host), node_class, 0), "write a node");
    }
  for (const auto& r : t.ranks)
    otf2_check(OTF2_GlobalDefWriter_WriteLocationGroup(g, OTF2_LocationGroupRef(r.rank),
                                                       string(fmt::format("rank {}", r.rank)),
                                                       OTF2_LOCATION_GROUP_TYPE_PROCESS, nodes[r.host],
                                                       OTF2_UNDEFINED_LOCATION_GROUP),
               "write a location group");
  for (const auto& lane : lanes)
    otf2_check(OTF2_GlobalDefWriter_WriteLocation(g, location(lane),
                                                  string(fmt::format("rank {} thread {}", lane.rank, lane.thread)),
                                                  OTF2_LOCATION_TYPE_CPU_THREAD, 2 * lane.rows.size(),
                                                  OTF2_LocationGroupRef(lane.rank)),
               "write a location");
  otf2_check(OTF2_Archive_CloseGlobalDefWriter(archive.get(), g), "close the global definitions");
  const auto status = OTF2_Archive_Close(archive.release());
  otf2_check(status, "close the archive");
  return events;
}

}  // namespace hybridscope::analysis
