#pragma once
// Where a rank gets its next chunk: its static share, or the global counter.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "hybridscope/sched/counter.hpp"
#include "hybridscope/sched/plan.hpp"
#include "hybridscope/trace/interval.hpp"

namespace hybridscope::sched {

class ChunkSource {
public:
  virtual ~ChunkSource() = default;
  // The next chunk index for this rank, or nothing when the rank is done. One thread at a time.
  virtual std::optional<std::uint64_t> next() = 0;
  // Stops handing out chunks, to this rank and, where chunks are shared, to all ranks.
  virtual void cancel() = 0;
  // What the time in next() is: idle (static shares), the shared-memory hand-out, or an MPI call.
  virtual trace::Activity fetch_activity() const = 0;
  // How chunks reach this rank, for the summary.
  virtual std::string describe() const = 0;
};

class StaticSource final : public ChunkSource {
public:
  StaticSource(const ChunkPlan& plan, Strategy strategy, int rank, int ranks)
      : assignment_(plan, strategy, rank, ranks) {}
  std::optional<std::uint64_t> next() override {
    return cancelled_ ? std::nullopt : assignment_.next();
  }
  void cancel() override { cancelled_ = true; }
  trace::Activity fetch_activity() const override { return trace::Activity::idle; }
  std::string describe() const override { return "static, no communication"; }

private:
  StaticAssignment assignment_;
  bool cancelled_ = false;
};

class CounterSource final : public ChunkSource {
public:
  CounterSource(std::uint64_t chunks, std::unique_ptr<ChunkCounter> counter)
      : chunks_(chunks), counter_(std::move(counter)) {}
  std::optional<std::uint64_t> next() override {
    const auto index = counter_->fetch_add(1);
    return index < chunks_ ? std::optional(index) : std::nullopt;
  }
  // Pushing the counter past the end makes every rank's next fetch come back empty.
  void cancel() override { counter_->fetch_add(chunks_); }
  trace::Activity fetch_activity() const override {
    return counter_->in_mpi() ? trace::Activity::mpi : trace::Activity::handout;
  }
  std::string describe() const override { return std::string(counter_->name()); }

private:
  std::uint64_t chunks_;
  std::unique_ptr<ChunkCounter> counter_;
};

}  // namespace hybridscope::sched
