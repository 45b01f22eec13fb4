#pragma once
// Writing one HDF5 file from every rank of a communicator (parallel HDF5 over MPI-IO). Every method
// here is collective over the file's communicator: every rank calls it, with zero rows if it has none.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "hybridscope/h5/h5.hpp"

namespace hybridscope::h5 {

// Rows per chunk of every column of a Table of `total_rows` rows.
std::uint64_t chunk_rows(std::uint64_t total_rows);

// What a Table's filters (shuffle, deflate, Fletcher-32) make of one chunk of a column: `rows`
// values of `size` bytes at `from`, the chunk's first rows (an edge chunk is stored whole, padded
// with zeros). Any process can filter chunks for the one that writes them (Table::write_chunk).
// False when zlib fails (out of memory).
bool filter_chunk(const void* from, std::uint64_t rows, std::uint64_t chunk_rows, std::size_t size,
                  std::vector<unsigned char>& out);

class ParallelFile {
public:
  // Creates `path` for every rank of comm; fails (H5Error on every rank) if it exists.
  ParallelFile(const std::string& path, MPI_Comm comm);
  MPI_Comm comm() const { return comm_; }

  // Attributes of the root group; every rank passes the same value.
  void set_attribute(const std::string& name, std::string_view value);
  void set_attribute(const std::string& name, std::int64_t value);
  void set_attribute(const std::string& name, double value);

  // Writes what HDF5 holds and has MPI-IO sync the file to storage (MPI_File_sync), so that a
  // write the storage refuses late (quota, NFS write-back) is reported here.
  void flush_to_storage();
  void close(std::string_view what);
  // Forgets the file without closing it (for an error path that ends the process).
  void release() noexcept { file_.release(); }
  Handle::Id id() const { return file_.get(); }

private:
  MPI_Comm comm_;
  Handle file_;
};

// One column of a Table, created with its element type; written a block of rows at a time.
class Column {
public:
  Column(Handle dataset, Handle memory_type, std::size_t element_bytes)
      : dataset_(std::move(dataset)), type_(std::move(memory_type)), element_bytes_(element_bytes) {}
  void close(std::string_view what) { dataset_.close(what); }
  std::size_t element_bytes() const { return element_bytes_; }

private:
  friend class Table;
  Handle dataset_;
  Handle type_;
  std::size_t element_bytes_;
};

// Rows [first, first + count) of a table.
struct RowSpan {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
};

// A table stored as one 1-D dataset per column in a group; each process writes its own rows.
// Columns are chunked, compressed (shuffle + deflate) and checksummed (Fletcher-32), which parallel
// HDF5 only writes collectively.
class Table {
public:
  // This process's `local_rows` follow those of the processes before it in the file's communicator.
  Table(ParallelFile& file, const std::string& name, std::uint64_t local_rows);
  // This process writes `spans` (ascending, disjoint) of a table of `total_rows` rows: its rows are
  // those of the spans, one after the other.
  Table(ParallelFile& file, const std::string& name, std::uint64_t total_rows, std::vector<RowSpan> spans);

  std::uint64_t total_rows() const { return total_; }
  MPI_Comm comm() const { return comm_; }

  // A column of T (an arithmetic type), or of 8-bit codes named by `enum_names` (0, 1, 2, ...).
  template <typename T>
  Column add_column(const std::string& name, std::string_view unit = {});
  Column add_enum_column(const std::string& name, const std::vector<std::string_view>& enum_names);
  // Writes this process's rows [first, first + count) of a column from `data`.
  void write(Column& column, std::uint64_t first, std::uint64_t count, const void* data);

  // Whether write_chunk may be used: the file has one writer (one node), which writes every row.
  bool writes_chunks_itself() const { return single_writer_; }
  std::uint64_t chunk_rows() const { return chunk_rows_; }
  // Stores chunk `index` of a column as filter_chunk() made it, when writes_chunks_itself(): with
  // H5Dwrite_chunk, which parallel HDF5 allows for a file of one process only.
  void write_chunk(Column& column, std::uint64_t index, const void* filtered, std::size_t bytes);

  // A whole column in one call.
  template <typename T>
  void column(const std::string& name, const std::vector<T>& values, std::string_view unit = {}) {
    static_assert(std::is_arithmetic_v<T>);
    auto c = add_column<T>(name, unit);
    write(c, 0, values.size(), values.data());
    c.close("close dataset '" + name + "'");
  }
  // Fixed-length strings as wide as the longest on any rank.
  void strings(const std::string& name, const std::vector<std::string>& values);

private:
  Column create(const std::string& name, Handle type, std::string_view unit);
  // Selects in `file_space` the file rows of this process's rows [first, first + count).
  void select(Handle::Id file_space, std::uint64_t first, std::uint64_t count) const;

  MPI_Comm comm_;
  Handle group_;
  Handle transfer_;  // collective data transfer property list
  std::vector<RowSpan> spans_;
  std::uint64_t total_ = 0;
  std::uint64_t chunk_rows_ = 1;
  bool single_writer_ = false;
};

}  // namespace hybridscope::h5
