#include "hybridscope/exec/executor.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <mutex>
#include <stdexcept>

#include "hybridscope/core/clock.hpp"
#include "hybridscope/topo/host.hpp"

namespace hybridscope::exec {

namespace {
// A counter of every thread added up (wrapping, as the checksums are).
std::uint64_t summed(const std::vector<ThreadTally>& threads, std::uint64_t ThreadTally::*counter) {
  std::uint64_t sum = 0;
  for (const auto& t : threads) sum += t.*counter;
  return sum;
}

// A list of every thread, one after the other.
template <typename T>
std::vector<T> joined(const std::vector<ThreadTally>& threads, std::vector<T> ThreadTally::*list) {
  std::vector<T> all;
  for (const auto& t : threads) all.insert(all.end(), (t.*list).begin(), (t.*list).end());
  return all;
}
}  // namespace

std::uint64_t RankExecution::items() const { return summed(threads, &ThreadTally::items); }
std::uint64_t RankExecution::checksum() const { return summed(threads, &ThreadTally::checksum); }
std::uint64_t RankExecution::succeeded_checksum() const { return summed(threads, &ThreadTally::succeeded_checksum); }
std::vector<std::uint64_t> RankExecution::failed() const { return joined(threads, &ThreadTally::failed); }
std::vector<sched::Range> RankExecution::succeeded() const {
  return sched::merge_ranges(joined(threads, &ThreadTally::succeeded));
}

namespace {
// Consecutive items extend the last range: chunks of consecutive items make few ranges.
void note_success(std::vector<sched::Range>& ranges, std::uint64_t item) {
  if (!ranges.empty() && ranges.back().end == item) ++ranges.back().end;
  else ranges.push_back({item, item + 1});
}

void run_items(ItemDispenser& dispenser, workloads::Workload& workload, trace::ThreadLog& log,
               ThreadTally& tally, ThreadProgress* progress) {
  auto worker = workload.make_worker();
  log.close(trace::Activity::startup);
  const auto activity = workload.activity();
  Claim claim{};
  while (dispenser.next(claim, log)) {
    log.mark_cpu();
    std::uint64_t value = 0;
    try {
      value = worker->run(claim.chunk, claim.item, log);
    } catch (const workloads::Abandoned&) {
      log.close(trace::Activity::abandoned, claim.chunk, claim.item);
      return;
    } catch (...) {
      // A failed item did not finish either; the failure itself goes up to the executor.
      log.close(trace::Activity::abandoned, claim.chunk, claim.item);
      throw;
    }
    const auto checksum = workloads::item_checksum(claim.item, value);
    tally.checksum += checksum;
    ++tally.items;
    const bool failed = worker->last_item_failed();
    if (failed) {
      tally.failed.push_back(claim.item);
    } else {
      tally.succeeded_checksum += checksum;
      note_success(tally.succeeded, claim.item);
    }
    log.close(activity, claim.chunk, claim.item);
    if (progress) {
      progress->items.store(tally.items, std::memory_order_relaxed);
      progress->busy_ns.store(log.total_ns(activity), std::memory_order_relaxed);
    }
    // Only a failed item can end the run (workload.fail_fast): items that succeed ask nothing more.
    if (failed)
      if (const auto why = worker->ends_run(); !why.empty()) throw std::runtime_error(why);
  }
}
}  // namespace

RankExecution execute(ItemDispenser& dispenser, workloads::Workload& workload,
                      std::vector<trace::ThreadLog>& logs, ThreadProgress* progress) {
  const int threads = static_cast<int>(logs.size());
  RankExecution run;
  run.threads.resize(logs.size());
  std::mutex failure_mutex;
  omp_set_dynamic(0);
  run.begin_ns = now_ns();
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    trace::ThreadLog& log = logs[t];
    log.start(run.begin_ns);
    try {
      if (omp_get_num_threads() != threads)
        throw std::runtime_error(fmt::format("OpenMP started {} threads instead of {} (check "
                                             "OMP_THREAD_LIMIT)", omp_get_num_threads(), threads));
      ThreadTally& tally = run.threads[t];
      tally.os_thread_id = topo::os_thread_id();
      tally.allowed_cpus = topo::allowed_cpus();
      tally.openmp_place = topo::openmp_place();
      run_items(dispenser, workload, log, tally, progress ? progress + t : nullptr);
    } catch (const std::exception& e) {
      {
        std::lock_guard lock(failure_mutex);
        if (run.failure.empty()) run.failure = e.what();
      }
      dispenser.cancel();
    }
    // Threads that run out of work first wait here for their siblings: that wait is idle time.
#pragma omp barrier
    log.close(trace::Activity::idle);
  }
  run.end_ns = now_ns();
  for (auto& log : logs) log.close_at(run.end_ns, trace::Activity::shutdown);
  return run;
}

}  // namespace hybridscope::exec
