#include "hybridscope/workloads/workloads.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "hybridscope/core/clock.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/core/stop.hpp"
#include "hybridscope/workloads/calibrate.hpp"
#include "hybridscope/workloads/command.hpp"
#include "hybridscope/workloads/gil_lock.hpp"
#include "hybridscope/workloads/plugin.hpp"

namespace hybridscope::workloads {

namespace {

std::uint64_t iterations_for(double seconds, double burn_rate) {
  return static_cast<std::uint64_t>(std::llround(seconds * burn_rate));
}

// Keeps a computed value alive without storing it anywhere.
inline void keep(std::uint64_t value) { asm volatile("" : : "r"(value)); }

// Items can be long (fib(50) takes most of a minute, sleep and spin up to an hour); a stop request
// abandons them so that a signalled run ends within Slurm's kill wait.
inline void abandon_if_stopping() {
  if (stop::requested()) throw Abandoned{};
}

__attribute__((noinline)) std::uint64_t fib_recursive(int n) noexcept {
  return n < 2 ? static_cast<std::uint64_t>(n) : fib_recursive(n - 1) + fib_recursive(n - 2);
}

// fib(24) takes about 50 us: checking for a stop at every call above it costs nothing measurable.
constexpr int kFibUncheckedUpTo = 24;

std::uint64_t fib_stoppable(int n) {
  if (n <= kFibUncheckedUpTo) return fib_recursive(n);
  abandon_if_stopping();
  return fib_stoppable(n - 1) + fib_stoppable(n - 2);
}

// burn() in slices, checking for a stop between them; the chain gives the same result in one go.
std::uint64_t burn_stoppable(std::uint64_t iterations, std::uint64_t state, std::uint64_t slice) {
  while (iterations > 0) {
    const std::uint64_t step = std::min(iterations, slice);
    state = burn(step, state);
    iterations -= step;
    if (iterations > 0) abandon_if_stopping();
  }
  return state;
}

// Iterations of burn() in about a millisecond.
std::uint64_t millisecond_slice(double burn_rate) {
  return std::max<std::uint64_t>(1, iterations_for(1e-3, burn_rate));
}

class FibWorker final : public Worker {
public:
  explicit FibWorker(int n) : n_(n) {}
  std::uint64_t run(std::uint64_t, std::uint64_t, trace::ThreadLog&) override { return fib_stoppable(n_); }

private:
  int n_;
};

class BurnWorker final : public Worker {
public:
  BurnWorker(std::uint64_t iterations, double burn_rate)
      : iterations_(iterations), slice_(millisecond_slice(burn_rate)) {}
  std::uint64_t run(std::uint64_t, std::uint64_t item, trace::ThreadLog&) override {
    const std::uint64_t head = std::min(iterations_, kCheckpointSteps);
    const std::uint64_t checkpoint = burn(head, item);
    keep(burn_stoppable(iterations_ - head, checkpoint, slice_));
    return checkpoint;
  }

private:
  std::uint64_t iterations_;
  std::uint64_t slice_;
};

// A sleeping item wakes this often to notice a stop request.
constexpr std::chrono::milliseconds kSleepSlice{10};

class SleepWorker final : public Worker {
public:
  explicit SleepWorker(double seconds)
      : duration_(std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(seconds))) {}
  std::uint64_t run(std::uint64_t, std::uint64_t item, trace::ThreadLog&) override {
    const auto deadline = std::chrono::steady_clock::now() + duration_;
    for (auto now = std::chrono::steady_clock::now(); now < deadline; now = std::chrono::steady_clock::now()) {
      abandon_if_stopping();
      std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(deadline - now, kSleepSlice));
    }
    return item;
  }

private:
  std::chrono::nanoseconds duration_;
};

class IrregularWorker final : public Worker {
public:
  IrregularWorker(const WorkloadConfig& config, double burn_rate)
      : config_(config), rate_(burn_rate), slice_(millisecond_slice(burn_rate)) {}
  std::uint64_t run(std::uint64_t, std::uint64_t item, trace::ThreadLog&) override {
    const double cost = irregular_cost(config_, item);
    keep(burn_stoppable(iterations_for(cost, rate_), item, slice_));
    std::uint64_t bits = 0;
    std::memcpy(&bits, &cost, sizeof bits);
    return bits;
  }

private:
  WorkloadConfig config_;
  double rate_;
  std::uint64_t slice_;
};

// STREAM triad a = b + s*c over this thread's own arrays.
class TriadWorker final : public Worker {
  // Elements between checks for a stop (1.5 MiB of the three arrays: a stop is noticed within
  // about a millisecond, and the check is lost in the memory traffic).
  static constexpr std::size_t kPiece = std::size_t{1} << 16;

public:
  explicit TriadWorker(std::uint64_t elements) : a_(elements), b_(elements), c_(elements) {
    for (std::uint64_t i = 0; i < elements; ++i) {
      a_[i] = 0.0;
      b_[i] = 1.0 + double(i % 17) * 0.5;
      c_[i] = 2.0 - double(i % 13) * 0.125;
    }
  }
  std::uint64_t run(std::uint64_t, std::uint64_t item, trace::ThreadLog&) override {
    const double s = 1.0 + double(item % 8);
    double* __restrict a = a_.data();
    const double* __restrict b = b_.data();
    const double* __restrict c = c_.data();
    const std::size_t n = a_.size();
    for (std::size_t begin = 0; begin < n; begin += kPiece) {
      if (begin > 0) abandon_if_stopping();
      const std::size_t end = std::min(n, begin + kPiece);
      for (std::size_t i = begin; i < end; ++i) a[i] = b[i] + s * c[i];
    }
    const double probe = a[item % n] + a[n - 1];
    std::uint64_t bits = 0;
    std::memcpy(&bits, &probe, sizeof bits);
    return bits;
  }

private:
  std::vector<double> a_, b_, c_;
};

// CPU work done in slices under the process-wide lock, as Python threads run under the GIL.
class GilWorker final : public Worker {
  // The holder looks at the clock after about this much work: often enough to honour the interval.
  static constexpr double kClockCheckSeconds = 20e-6;

public:
  GilWorker(std::uint64_t iterations, double switch_interval, double burn_rate)
      : iterations_(iterations),
        interval_ns_(static_cast<std::int64_t>(switch_interval * 1e9)),
        check_every_(std::max<std::uint64_t>(1, iterations_for(kClockCheckSeconds, burn_rate))) {}

  std::uint64_t run(std::uint64_t chunk, std::uint64_t item, trace::ThreadLog& log) override {
    GilLock& gil = process_gil();
    std::uint64_t left = iterations_;
    std::uint64_t state = item;
    std::uint64_t done = 0, checkpoint = item;
    log.close(trace::Activity::work, chunk, item);
    while (left > 0) {
      abandon_if_stopping();  // never while holding the lock: the others would wait forever
      gil.acquire();
      log.close(trace::Activity::lock_wait, chunk, item);
      log.mark_cpu();
      const std::int64_t held_since = now_ns();
      do {
        // Steps end exactly at the checkpoint, so that it is the same whatever check_every_ is.
        const std::uint64_t to_checkpoint = done < kCheckpointSteps ? kCheckpointSteps - done : check_every_;
        const std::uint64_t step = std::min({left, check_every_, to_checkpoint});
        state = burn(step, state);
        left -= step;
        done += step;
        if (done <= kCheckpointSteps) checkpoint = state;
      } while (left > 0 && !(now_ns() - held_since >= interval_ns_ && gil.contended()) &&
               !stop::requested());
      // Closed while still holding the lock, so that slices of one rank's threads never overlap
      // in the timeline, even when a thread is preempted right after it lets go.
      log.close(trace::Activity::work, chunk, item);
      gil.release();
      log.mark_cpu();  // for the work row after the lock, ended by the next wait or by the caller
    }
    keep(state);
    return checkpoint;
  }

private:
  std::uint64_t iterations_;
  std::int64_t interval_ns_;
  std::uint64_t check_every_;
};

[[noreturn]] void fail_io(const std::string& what, const std::string& path) {
  throw Error(fmt::format("file_io: cannot {} '{}': {}", what, path, std::strerror(errno)));
}

// Writes, fsyncs and reads back `bytes` per item in this rank's private scratch directory.
class FileIoWorker final : public Worker {
public:
  FileIoWorker(const std::filesystem::path& dir, std::uint64_t bytes)
      : dir_(dir), out_(bytes), in_(bytes) {}

  std::uint64_t run(std::uint64_t, std::uint64_t item, trace::ThreadLog&) override {
    fill(item);
    const auto path = (dir_ / fmt::format("item-{}", item)).string();
    // Exclusive create: never follows or reuses a file someone else put there.
    const int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) fail_io("create", path);
    const bool written = transfer(out, out_.data(), true) && ::fsync(out) == 0;
    const int saved = errno;
    ::close(out);
    if (!written) {
      ::unlink(path.c_str());
      errno = saved;
      fail_io("write", path);
    }
    const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    const bool read_back = in >= 0 && transfer(in, in_.data(), false);
    if (in >= 0) ::close(in);
    ::unlink(path.c_str());
    if (!read_back) fail_io("read back", path);
    return fingerprint();
  }

private:
  void fill(std::uint64_t item) {
    for (std::size_t i = 0; i < out_.size(); i += 8) {
      const std::uint64_t word = mix64(item ^ (i << 20));
      std::memcpy(out_.data() + i, &word, std::min<std::size_t>(8, out_.size() - i));
    }
  }

  bool transfer(int fd, char* data, bool writing) {
    constexpr std::size_t kPiece = std::size_t{8} << 20;  // a stop is noticed between pieces
    for (std::size_t done = 0; done < out_.size();) {
      abandon_if_stopping();
      const std::size_t piece = std::min(kPiece, out_.size() - done);
      const auto n = writing ? ::write(fd, data + done, piece) : ::read(fd, data + done, piece);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) errno = EIO;
        return false;
      }
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  std::uint64_t fingerprint() const {
    std::uint64_t h = 0;
    for (std::size_t i = 0; i < in_.size(); i += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, in_.data() + i, std::min<std::size_t>(8, in_.size() - i));
      h = mix64(h ^ word);
    }
    return h;
  }

  std::filesystem::path dir_;
  std::vector<char> out_, in_;
};

// Owns the rank's private scratch directory and removes it, whatever happened to the items.
class FileIoWorkload final : public Workload {
public:
  explicit FileIoWorkload(const WorkloadConfig& config) : bytes_(config.bytes) {
    std::string parent = config.dir;
    if (parent.empty()) parent = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
    std::string pattern = (std::filesystem::path(parent) / "hybridscope-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))  // mode 0700
      throw Error(fmt::format("file_io: cannot create a scratch directory in '{}' (workload.dir): {}",
                              parent, std::strerror(errno)));
    dir_ = pattern;
  }
  ~FileIoWorkload() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::unique_ptr<Worker> make_worker() override { return std::make_unique<FileIoWorker>(dir_, bytes_); }
  trace::Activity activity() const override { return trace::Activity::io; }

private:
  std::uint64_t bytes_;
  std::filesystem::path dir_;
};

// Workloads whose threads need nothing but the configuration.
class SimpleWorkload final : public Workload {
public:
  SimpleWorkload(const WorkloadConfig& config, double burn_rate) : config_(config), rate_(burn_rate) {}
  std::unique_ptr<Worker> make_worker() override {
    const auto& w = config_;
    switch (w.kind) {
      case WorkloadKind::fib: return std::make_unique<FibWorker>(w.n);
      case WorkloadKind::spin: return std::make_unique<BurnWorker>(iterations_for(w.seconds, rate_), rate_);
      case WorkloadKind::sleep: return std::make_unique<SleepWorker>(w.seconds);
      case WorkloadKind::triad: return std::make_unique<TriadWorker>(w.elements);
      case WorkloadKind::gil:
        return std::make_unique<GilWorker>(iterations_for(w.seconds, rate_), w.switch_interval, rate_);
      case WorkloadKind::irregular: return std::make_unique<IrregularWorker>(w, rate_);
      case WorkloadKind::file_io:
      case WorkloadKind::plugin:
      case WorkloadKind::python:
      case WorkloadKind::command: break;
    }
    throw Error(fmt::format("no worker for workload {}", to_string(w.kind)));
  }

private:
  WorkloadConfig config_;
  double rate_;
};

double unit_interval(std::uint64_t bits) {  // (0, 1]
  return double((bits >> 11) + 1) * 0x1.0p-53;
}

}  // namespace

std::uint64_t fib(int n) noexcept { return fib_recursive(n); }

double irregular_cost(const WorkloadConfig& w, std::uint64_t item) noexcept {
  const std::uint64_t r1 = mix64(w.seed ^ mix64(item));
  const double u1 = unit_interval(r1);
  const double u2 = unit_interval(mix64(r1));
  double cost = w.seconds;
  switch (w.distribution) {
    case Distribution::uniform: cost = 2.0 * w.seconds * u1; break;
    case Distribution::bimodal: {
      const double short_cost = w.seconds / (1.0 - w.long_fraction + w.long_fraction * w.long_ratio);
      cost = u1 <= w.long_fraction ? short_cost * w.long_ratio : short_cost;
      break;
    }
    case Distribution::lognormal: {
      const double mu = std::log(w.seconds) - 0.5 * w.sigma * w.sigma;
      const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
      cost = std::exp(mu + w.sigma * z);
      break;
    }
  }
  // A far tail of the lognormal must not turn one item into an hour.
  constexpr double kLongestOverMean = 1000;
  return std::min(cost, kLongestOverMean * w.seconds);
}

std::unique_ptr<Workload> make_workload(const WorkloadConfig& config, double burn_rate,
                                        const RankContext& where) {
  if (config.kind == WorkloadKind::file_io) return std::make_unique<FileIoWorkload>(config);
  if (config.kind == WorkloadKind::plugin) return make_plugin_workload(config, where);
  if (config.kind == WorkloadKind::python) return make_python_workload(config, where);
  if (config.kind == WorkloadKind::command) return make_command_workload(config, where);
  return std::make_unique<SimpleWorkload>(config, burn_rate);
}

}  // namespace hybridscope::workloads
