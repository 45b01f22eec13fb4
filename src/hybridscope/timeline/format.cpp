#include "hybridscope/timeline/format.hpp"

#include <vector>

namespace hybridscope::timeline {

std::span<const Field> all_fields() {
  static const std::vector<Field> fields = [] {
    namespace a = attributes;
    std::vector<Field> out = {
        a::schema_version, a::producer, a::complete, a::stop_reason, a::start_time_utc, a::command_line,
        a::mpi_library, a::hdf5_library, a::ranks, a::threads_per_rank, a::nodes, a::strategy, a::handout,
        a::workload, a::workload_description, a::items_planned, a::items_done, a::checksum, a::wall_seconds,
        a::items_failed, a::checksum_succeeded, a::resumed_from, a::items_carried, a::checksum_carried,
        a::task_output, a::tasks_digest, a::time_unit, a::time_origin,
        input::origin, input::given, input::resolved,
        ranks::rank, ranks::host, ranks::pid, ranks::local_rank, ranks::allowed_cpus, ranks::begin_ns,
        ranks::end_ns, ranks::items, ranks::checksum, ranks::intervals, ranks::dropped_intervals, ranks::max_rss_kib,
        ranks::clock_offset_start_ns, ranks::clock_offset_end_ns, ranks::clock_round_trip_start_ns,
        ranks::clock_round_trip_end_ns,
        threads::rank, threads::thread, threads::os_thread_id, threads::allowed_cpus, threads::openmp_place,
        threads::items, threads::intervals, threads::dropped_intervals, threads::item_cpu_ns,
        threads::measured_item_ns};
    out.insert(out.end(), threads::kind_ns.begin(), threads::kind_ns.end());
    out.insert(out.end(), {hosts::host, hosts::ranks, hosts::packages, hosts::cores, hosts::pus, hosts::numa_nodes,
                           clock_samples::rank, clock_samples::phase, clock_samples::local_send_ns,
                           clock_samples::root_ns, clock_samples::local_recv_ns,
                           environment::name, environment::value,
                           intervals::rank, intervals::thread, intervals::kind, intervals::cpu, intervals::chunk,
                           intervals::item, intervals::cpu_ns, intervals::begin_ns, intervals::end_ns,
                           tasks::item, tasks::rank, tasks::thread, tasks::attempt, tasks::pid, tasks::exit_code,
                           tasks::signal, tasks::begin_ns, tasks::end_ns, tasks::user_ns, tasks::system_ns,
                           tasks::max_rss_kib, tasks::abandoned, succeeded::first, succeeded::count, carried::first, carried::count});
    return out;
  }();
  return fields;
}

}  // namespace hybridscope::timeline
