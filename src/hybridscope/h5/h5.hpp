#pragma once
// The only place that calls the HDF5 C API (as HighFive does): RAII handles, every call checked and
// turned into an H5Error carrying HDF5's own message, and the few collective patterns the timeline
// needs. All functions here are collective over the file's communicator unless noted.
#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "hybridscope/core/error.hpp"

namespace hybridscope::h5 {

class H5Error : public Error {
public:
  using Error::Error;
};

// Throws H5Error("what: <HDF5's innermost messages>") when `status` is negative.
template <typename Status>
Status check(Status status, std::string_view what);

// The same for a call every rank of comm makes together and that fails on all ranks or none (the
// file's creation): all ranks learn whether any failed and all throw the first failing rank's
// message. Not for writes and closes: when one of those fails on some ranks only (a full disk), the
// others are already inside HDF5's next collective call, where no agreement can reach them; the
// writer then ends the job (timeline::write).
template <typename Status>
Status check_all(MPI_Comm comm, Status status, std::string_view what);

// An HDF5 identifier that closes itself.
class Handle {
public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  hid_t get() const { return id_; }
  // Forgets the identifier without closing it (for an error path that ends the process).
  void release() noexcept { id_ = -1; }
  // Closes now, reporting a failure (a file's close is where buffered data reaches the disk).
  void close(std::string_view what);

private:
  void reset() noexcept;
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Creates `path` for parallel access by every rank of comm; fails if it exists.
Handle create_file(const std::string& path, MPI_Comm comm);
Handle create_group(hid_t parent, const std::string& name);

// Attributes; every rank must pass the same value.
void set_attribute(hid_t object, const std::string& name, std::string_view value);
void set_attribute(hid_t object, const std::string& name, std::int64_t value);
void set_attribute(hid_t object, const std::string& name, double value);

// The enum type of an 8-bit code with the given names for 0, 1, 2, ...
Handle enum_type(const std::vector<std::string_view>& names);

template <typename T>
hid_t native_type();

// Reading, by one process (no MPI needed): for tests and post-processing.
Handle open_file(const std::string& path);
std::string string_attribute(hid_t object, const std::string& name);
std::int64_t integer_attribute(hid_t object, const std::string& name);
double double_attribute(hid_t object, const std::string& name);
// A whole 1-D column converted to T (enum columns read as their integer codes).
template <typename T>
std::vector<T> read_column(hid_t file, const std::string& path);
std::vector<std::string> read_strings(hid_t file, const std::string& path);

// Reads back part `part` of `parts` of every dataset's rows (and, for part 0, every attribute), so
// that each chunk's checksum is checked: a write the file system lost (a full disk that MPI-IO did
// not report) fails here instead of leaving a file that claims to be complete. One process.
void verify_readable(const std::string& path, int part, int parts);

// A table stored as one 1-D dataset per column in a group, each rank owning a contiguous block of
// rows (rank order). Columns are chunked and compressed (shuffle + deflate), which parallel HDF5
// only writes collectively: every rank calls every method, with zero rows if it has none.
class Table {
public:
  Table(MPI_Comm comm, hid_t parent, const std::string& name, std::uint64_t local_rows);

  hid_t group() const { return group_.get(); }
  std::uint64_t total_rows() const { return total_; }

  // Creates a column; `type` is both the file and the memory type.
  Handle add_column(const std::string& name, hid_t type, std::string_view unit = {});
  // Writes this rank's rows [first, first + count) of a column from `data`.
  void write(hid_t column, hid_t type, std::uint64_t first, std::uint64_t count, const void* data);

  // A whole column in one call.
  template <typename T>
  void column(const std::string& name, const std::vector<T>& values, std::string_view unit = {}) {
    static_assert(std::is_arithmetic_v<T>);
    auto dataset = add_column(name, native_type<T>(), unit);
    write(dataset.get(), native_type<T>(), 0, values.size(), values.data());
    dataset.close("close dataset '" + name + "'");
  }
  // Fixed-length strings as wide as the longest on any rank.
  void strings(const std::string& name, const std::vector<std::string>& values);

private:
  MPI_Comm comm_;
  Handle group_;
  Handle transfer_;  // collective data transfer property list
  std::uint64_t local_ = 0;
  std::uint64_t offset_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace hybridscope::h5
