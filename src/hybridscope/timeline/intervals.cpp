#include "hybridscope/timeline/intervals.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <map>

#include "hybridscope/core/error.hpp"
#include "hybridscope/mpi/session.hpp"

namespace hybridscope::timeline {

namespace {

constexpr int kPieceTag = 7302;
constexpr std::size_t kColumns = 9;
// Bytes per value of each column, in the order of write_intervals' columns.
constexpr std::size_t kWidth[kColumns] = {4, 2, 1, 2, 8, 8, 8, 8, 8};
// Chunks a rank filters at once, at most one per CPU: bounds its memory on a node of many CPUs.
constexpr std::size_t kMaxBatchChunks = 16;
// Pieces a rank may have on their way to its leader: enough to keep filtering while the leader is
// busy with its own.
constexpr std::size_t kInFlight = 4;
// Rows a node leader writes per collective call in a file of several nodes: bounds its memory.
constexpr std::uint64_t kBatchRows = std::uint64_t{1} << 20;

std::int64_t or_minus_one(std::uint64_t value) {
  return value == trace::kNone ? -1 : static_cast<std::int64_t>(value);
}

// Rows [first, first + rows) of the table, all in one chunk, as a column of values each; or, when
// `filtered`, the chunk as stored, which the piece then fills.
struct PieceHeader {
  std::uint64_t first = 0;
  std::uint64_t rows = 0;
  std::uint64_t bytes[kColumns] = {};
  std::uint64_t filtered = 0;
};

struct Piece {
  PieceHeader header;
  std::array<const unsigned char*, kColumns> block{};
};

// Rows of the table, a buffer per column, with room for `capacity` rows.
class Columns {
public:
  explicit Columns(std::size_t capacity) {
    for (std::size_t c = 0; c < kColumns; ++c) bytes_[c].resize(capacity * kWidth[c]);
  }
  std::size_t rows() const { return rows_; }
  std::size_t capacity() const { return bytes_[2].size(); }  // the column of one-byte values
  const unsigned char* column(std::size_t c, std::size_t row = 0) const { return bytes_[c].data() + row * kWidth[c]; }
  void clear() { rows_ = 0; }

  void push(const trace::Interval& in, std::uint32_t rank, std::uint16_t thread) {
    store(0, rank), store(1, thread), store(2, static_cast<std::uint8_t>(in.kind));
    store(3, static_cast<std::int16_t>(in.cpu)), store(4, or_minus_one(in.chunk)), store(5, or_minus_one(in.item));
    store(6, in.cpu_ns), store(7, in.begin_ns), store(8, in.end_ns);
    ++rows_;
  }
  // Rows [from, from + n) of `piece`, a piece of values, to rows [at, at + n).
  void put(std::size_t at, const Piece& piece, std::size_t from, std::size_t n) {
    for (std::size_t c = 0; c < kColumns; ++c)
      std::memcpy(bytes_[c].data() + at * kWidth[c], piece.block[c] + from * kWidth[c], n * kWidth[c]);
    rows_ = std::max(rows_, at + n);
  }
  // Rows [at, at + n) as a piece of values starting at row `first` of the table.
  Piece piece(std::uint64_t first, std::size_t at, std::size_t n) const {
    Piece p{{first, n}};
    for (std::size_t c = 0; c < kColumns; ++c) p.header.bytes[c] = n * kWidth[c], p.block[c] = column(c, at);
    return p;
  }

private:
  template <typename T>
  void store(std::size_t c, T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::memcpy(bytes_[c].data() + rows_ * sizeof value, &value, sizeof value);
  }
  std::array<std::vector<unsigned char>, kColumns> bytes_;
  std::size_t rows_ = 0;
};

// Whether a piece fills its chunk: then the rank that has it can filter the chunk.
bool whole_chunk(const PieceHeader& h, std::uint64_t chunk_rows, std::uint64_t total) {
  return h.first % chunk_rows == 0 && (h.rows == chunk_rows || h.first + h.rows == total);
}

// Filters every column of each of `pieces` (whole chunks) with `cpus` threads; a column that
// zlib could not compress (out of memory) leaves its piece as values.
void filter(const std::vector<Piece*>& pieces, std::uint64_t chunk_rows, int cpus,
            std::vector<std::vector<unsigned char>>& filtered) {
  if (pieces.empty()) return;  // without starting threads
  const auto jobs = static_cast<std::int64_t>(pieces.size() * kColumns);
  if (filtered.size() < std::size_t(jobs)) filtered.resize(std::size_t(jobs));
  std::vector<char> ok(std::size_t(jobs), 0);
#pragma omp parallel for schedule(dynamic) num_threads(cpus) if (cpus > 1)
  for (std::int64_t job = 0; job < jobs; ++job) {
    const auto& p = *pieces[std::size_t(job) / kColumns];
    const auto c = std::size_t(job) % kColumns;
    ok[std::size_t(job)] = h5::filter_chunk(p.block[c], p.header.rows, chunk_rows, kWidth[c], filtered[std::size_t(job)]);
  }
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (!std::all_of(ok.begin() + std::ptrdiff_t(i * kColumns), ok.begin() + std::ptrdiff_t((i + 1) * kColumns),
                     [](char k) { return k != 0; }))
      continue;
    auto& p = *pieces[i];
    p.header.filtered = 1;
    for (std::size_t c = 0; c < kColumns; ++c) {
      const auto& bytes = filtered[i * kColumns + c];
      p.header.bytes[c] = bytes.size(), p.block[c] = bytes.data();
    }
  }
}

// This rank's intervals in the run's time, one at a time, with the thread that recorded each.
template <typename Visit>
void each_interval(const trace::Recording& r, Visit&& visit) {
  for (std::size_t t = 0; t < r.logs.size(); ++t)
    r.logs[t].for_each([&](const trace::Interval* p, std::size_t n) {
      for (std::size_t i = 0; i < n; ++i) {
        trace::Interval in = p[i];
        in.begin_ns = r.run_time(in.begin_ns), in.end_ns = r.run_time(in.end_ns);
        visit(in, static_cast<std::uint16_t>(t));
      }
    });
}

// Turns this rank's intervals into pieces cut where the table's chunks begin, and hands them to
// `deliver` a batch of chunks at a time; in a file of one node, pieces that are whole chunks come
// filtered, by `rows.cpus` threads at once.
template <typename Deliver>
void make_pieces(const IntervalRows& rows, int rank, const trace::Recording& r, Deliver&& deliver) {
  const std::uint64_t chunk_rows = h5::chunk_rows(rows.total), end = rows.first + rows.count;
  const int cpus = rows.cpus;
  const std::size_t batch = std::min<std::size_t>(std::size_t(cpus), kMaxBatchChunks);
  Columns columns(std::min<std::uint64_t>(rows.count, batch * chunk_rows));
  std::vector<Piece> pieces;
  std::vector<Piece*> whole;
  std::vector<std::vector<unsigned char>> filtered;
  const auto boundary = [&](std::uint64_t row) { return std::min(end, (row / chunk_rows + 1) * chunk_rows); };
  std::uint64_t row = rows.first, piece_first = row, piece_end = boundary(row);
  const auto flush = [&] {
    whole.clear();
    for (auto& p : pieces)
      if (rows.one_node && whole_chunk(p.header, chunk_rows, rows.total)) whole.push_back(&p);
    filter(whole, chunk_rows, cpus, filtered);
    for (const auto& p : pieces) deliver(p);
    pieces.clear();
    columns.clear();
  };
  each_interval(r, [&](const trace::Interval& in, std::uint16_t thread) {
    if (row == end) throw Error(fmt::format("timeline writer: rank {} recorded more than its {} intervals", rank, rows.count));
    columns.push(in, static_cast<std::uint32_t>(rank), thread);
    if (++row < piece_end) return;
    pieces.push_back(columns.piece(piece_first, columns.rows() - (row - piece_first), row - piece_first));
    piece_first = row, piece_end = boundary(row);
    if (pieces.size() == batch || row == end) flush();
  });
  if (row != end) throw Error(fmt::format("timeline writer: rank {} has {} intervals, not {}", rank, row - rows.first, rows.count));
}

// Pieces on their way to the node leader, a few at a time, each message kept until it is received.
class Outbox {
public:
  explicit Outbox(MPI_Comm node) : node_(node) {}

  void send(const Piece& p) {
    if (in_flight_.size() == kInFlight) {
      mpi::wait_idle(in_flight_.front().request);
      spare_.push_back(std::move(in_flight_.front().bytes));
      in_flight_.pop_front();
    }
    auto& m = in_flight_.emplace_back();
    if (!spare_.empty()) m.bytes = std::move(spare_.back()), spare_.pop_back();
    std::size_t size = sizeof p.header;
    for (auto b : p.header.bytes) size += b;
    m.bytes.resize(size);
    std::memcpy(m.bytes.data(), &p.header, sizeof p.header);
    auto* at = m.bytes.data() + sizeof p.header;
    for (std::size_t c = 0; c < kColumns; ++c) std::memcpy(at, p.block[c], p.header.bytes[c]), at += p.header.bytes[c];
    MPI_Isend(m.bytes.data(), static_cast<int>(size), MPI_BYTE, 0, kPieceTag, node_, &m.request);
  }
  void finish() {
    for (auto& m : in_flight_) mpi::wait_idle(m.request);
    in_flight_.clear();
  }

private:
  struct Message {
    MPI_Request request = MPI_REQUEST_NULL;
    std::vector<unsigned char> bytes;
  };
  MPI_Comm node_;
  std::deque<Message> in_flight_;
  std::vector<std::vector<unsigned char>> spare_;
};

// A piece received from rank `from`, pointing into `message`.
Piece parse(const std::vector<unsigned char>& message, int from) {
  Piece p;
  const auto bad = [&] { return Error(fmt::format("timeline writer: a malformed piece of intervals from rank {}", from)); };
  if (message.size() < sizeof p.header) throw bad();
  std::memcpy(&p.header, message.data(), sizeof p.header);
  std::uint64_t at = sizeof p.header;
  for (std::size_t c = 0; c < kColumns; ++c) {
    if (p.header.bytes[c] > message.size() - at) throw bad();
    if (!p.header.filtered && p.header.bytes[c] != p.header.rows * kWidth[c]) throw bad();
    p.block[c] = message.data() + at, at += p.header.bytes[c];
  }
  if (at != message.size() || p.header.rows == 0) throw bad();
  return p;
}

// A file of one node: stores chunks filtered by the ranks as they come, and assembles (then filters)
// those that straddle ranks from their pieces; each is held until its last piece comes.
class ChunkStore {
public:
  ChunkStore(h5::Table& table, std::vector<h5::Column>& columns)
      : table_(table), columns_(columns), chunk_rows_(table.chunk_rows()) {}

  void store(const Piece& p) {
    const std::uint64_t index = p.header.first / chunk_rows_;
    const std::uint64_t rows = std::min(chunk_rows_, table_.total_rows() - std::min(table_.total_rows(), index * chunk_rows_));
    if (p.header.first % chunk_rows_ + p.header.rows > rows)
      throw Error(fmt::format("timeline writer: intervals {}-{} are not in one chunk", p.header.first, p.header.first + p.header.rows));
    if (p.header.filtered) {
      if (p.header.first % chunk_rows_ != 0 || p.header.rows != rows)
        throw Error(fmt::format("timeline writer: a filtered chunk of intervals {}-{} is not whole", p.header.first,
                                p.header.first + p.header.rows));
      return write(index, p);
    }
    auto& partial = partial_.try_emplace(index, chunk_rows_).first->second;
    partial.columns.put(p.header.first % chunk_rows_, p, 0, p.header.rows);
    if ((partial.filled += p.header.rows) < rows) return;
    auto chunk = partial.columns.piece(index * chunk_rows_, 0, rows);
    filter({&chunk}, chunk_rows_, 1, filtered_);
    if (!chunk.header.filtered) throw Error("timeline writer: cannot compress a chunk (zlib: out of memory)");
    write(index, chunk);
    partial_.erase(index);
  }
  // Whether every chunk begun was written.
  bool complete() const { return partial_.empty(); }

private:
  void write(std::uint64_t index, const Piece& p) {
    for (std::size_t c = 0; c < kColumns; ++c) table_.write_chunk(columns_[c], index, p.block[c], p.header.bytes[c]);
  }
  struct Partial {
    explicit Partial(std::uint64_t rows) : columns(rows) {}
    Columns columns;
    std::uint64_t filled = 0;
  };
  h5::Table& table_;
  std::vector<h5::Column>& columns_;
  std::uint64_t chunk_rows_;
  std::map<std::uint64_t, Partial> partial_;
  std::vector<std::vector<unsigned char>> filtered_;
};

// A file of several nodes: HDF5 filters, in collective writes of up to kBatchRows rows, as many on
// every leader (some of them empty).
class BatchWriter {
public:
  BatchWriter(h5::Table& table, std::vector<h5::Column>& columns, std::uint64_t node_rows)
      : table_(table), columns_(columns), batch_(std::min(node_rows, kBatchRows)) {
    batches_ = (node_rows + kBatchRows - 1) / kBatchRows;
    MPI_Allreduce(MPI_IN_PLACE, &batches_, 1, MPI_UINT64_T, MPI_MAX, table.comm());
  }
  void store(const Piece& p) {
    if (p.header.filtered) throw Error("timeline writer: a filtered chunk in a file of several nodes");
    for (std::size_t from = 0; from < p.header.rows;) {
      const auto n = std::min<std::size_t>(p.header.rows - from, batch_.capacity() - batch_.rows());
      batch_.put(batch_.rows(), p, from, n);
      from += n;
      if (batch_.rows() == batch_.capacity()) flush();
    }
  }
  void finish() {
    while (done_ < batches_) flush();  // the last partial batch, then empty ones
  }

private:
  void flush() {
    for (std::size_t c = 0; c < kColumns; ++c) table_.write(columns_[c], written_, batch_.rows(), batch_.column(c));
    written_ += batch_.rows();
    ++done_;
    batch_.clear();
  }
  h5::Table& table_;
  std::vector<h5::Column>& columns_;
  Columns batch_;
  std::uint64_t batches_ = 0, done_ = 0, written_ = 0;
};

void write_one_node(h5::Table& table, std::vector<h5::Column>& columns, MPI_Comm node,
                    const std::vector<std::uint64_t>& count_of, const IntervalRows& own, int rank,
                    const trace::Recording& r) {
  if (!table.writes_chunks_itself()) throw Error("timeline writer: a file of one node with several writers");
  ChunkStore chunks(table, columns);
  std::uint64_t expected = 0, received = 0;
  for (std::size_t k = 1; k < count_of.size(); ++k) expected += count_of[k];
  std::vector<unsigned char> message;
  const auto take = [&](int from) {
    const auto p = parse(message, from);
    if ((received += p.header.rows) > expected) throw Error(fmt::format("timeline writer: rank {} sent too many intervals", from));
    chunks.store(p);
  };
  // Between its own pieces the leader stores what has come, so that no rank waits long to send.
  make_pieces(own, rank, r, [&](const Piece& p) {
    chunks.store(p);
    while (const auto from = mpi::poll_message(node, MPI_ANY_SOURCE, kPieceTag, message)) take(*from);
  });
  while (received < expected) take(mpi::receive_idle(node, MPI_ANY_SOURCE, kPieceTag, message));
  if (!chunks.complete()) throw Error("timeline writer: a chunk of intervals was left incomplete");
}

void write_several_nodes(h5::Table& table, std::vector<h5::Column>& columns, MPI_Comm node,
                         const std::vector<std::uint64_t>& count_of, const IntervalRows& own, int rank,
                         const trace::Recording& r) {
  std::uint64_t node_rows = own.count;
  for (std::size_t k = 1; k < count_of.size(); ++k) node_rows += count_of[k];
  BatchWriter batches(table, columns, node_rows);
  make_pieces(own, rank, r, [&](const Piece& p) { batches.store(p); });
  std::vector<unsigned char> message;
  for (std::size_t k = 1; k < count_of.size(); ++k)
    for (std::uint64_t left = count_of[k]; left > 0;) {
      const auto p = parse(message, mpi::receive_idle(node, int(k), kPieceTag, message));
      if (p.header.rows > left) throw Error(fmt::format("timeline writer: rank {} sent too many intervals", k));
      batches.store(p);
      left -= p.header.rows;
    }
  batches.finish();
}

}  // namespace

void send_intervals(MPI_Comm node, const IntervalRows& rows, int rank, const trace::Recording& recording) {
  Outbox outbox(node);
  make_pieces(rows, rank, recording, [&](const Piece& p) { outbox.send(p); });
  outbox.finish();
}

void write_intervals(h5::Table& table, std::vector<h5::Column>& columns, MPI_Comm node,
                     const std::vector<std::uint64_t>& count_of, const IntervalRows& own, int rank,
                     const trace::Recording& recording) {
  if (columns.size() != kColumns) throw Error("timeline writer: the intervals table has other columns");
  for (std::size_t c = 0; c < kColumns; ++c)
    if (columns[c].element_bytes() != kWidth[c]) throw Error("timeline writer: an interval column has another width");
  if (own.one_node) write_one_node(table, columns, node, count_of, own, rank, recording);
  else write_several_nodes(table, columns, node, count_of, own, rank, recording);
}

}  // namespace hybridscope::timeline
