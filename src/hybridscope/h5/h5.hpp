#pragma once
// The only code that calls the HDF5 C API (as HighFive does): RAII handles, every call checked and
// turned into an H5Error carrying HDF5's own message. This header is the serial half (reading, no
// MPI); h5/parallel.hpp writes files from all ranks. Neither includes <hdf5.h>: an identifier is
// an opaque 64-bit integer (HDF5's hid_t) outside h5/.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hybridscope/core/error.hpp"

namespace hybridscope::h5 {

class H5Error : public Error {
public:
  using Error::Error;
};

// An HDF5 identifier that closes itself with the function that fits its kind.
class Handle {
public:
  using Id = std::int64_t;
  using Closer = int (*)(Id);
  Handle() = default;
  Handle(Id id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  Id get() const { return id_; }
  // Forgets the identifier without closing it (for an error path that ends the process).
  void release() noexcept { id_ = -1; }
  // Closes now, reporting a failure (a file's close is where buffered data reaches the disk).
  void close(std::string_view what);

private:
  void reset() noexcept;
  Id id_ = -1;
  Closer closer_ = nullptr;
};

// A file opened for reading by one process. Nothing read from the file is trusted with memory:
// before a dataset or attribute is read, its extent and element size are checked against what the
// file can hold (the bytes HDF5 stores for it, expanded at most kMaxInflation times, never more than
// the file itself can hold), and all reads of one File together against the file's size; a claim
// beyond that (a damaged extent or string width) is an H5Error naming the dataset and the file,
// not an allocation. Attributes must hold one value of the class asked for, columns be 1-D and of
// exactly the integer or floating type asked for (a byte order apart).
class File {
public:
  // deflate expands at most about 1032 times; shuffle and Fletcher-32 do not expand.
  static constexpr std::uint64_t kMaxInflation = 1032;
  // Allowed beyond that per dataset (fill values of unwritten rows, tiny files) and per file.
  static constexpr std::uint64_t kSlackBytes = std::uint64_t{64} << 10;
  static constexpr std::uint64_t kFileSlackBytes = std::uint64_t{1} << 20;

  explicit File(const std::string& path);  // H5Error when it cannot be opened
  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }  // bytes of the file

  std::string string_attribute(const std::string& name) const;
  std::int64_t integer_attribute(const std::string& name) const;
  double double_attribute(const std::string& name) const;

  // Whether `path` (e.g. "ranks/items") names an object; every group on the way is looked up.
  bool exists(const std::string& path) const;
  // Rows of the 1-D dataset at `path` (read from its dataspace; no data is read).
  std::uint64_t rows(const std::string& path) const;
  // A whole 1-D column converted to T (enum columns read as their integer codes).
  template <typename T>
  std::vector<T> read_column(const std::string& path) const;
  std::vector<std::string> read_strings(const std::string& path) const;
  // The member names of the enum column at `path`, indexed by code; H5Error unless its codes are
  // exactly 0, 1, ... (n - 1).
  std::vector<std::string> enum_names(const std::string& path) const;

  void close();

private:
  // Checks that `rows` elements of `element_bytes` fit what `dataset` stores and what is left of
  // the file's budget, and takes them from it.
  void reserve(Handle::Id dataset, const std::string& path, std::uint64_t rows, std::uint64_t element_bytes) const;

  std::string path_;
  Handle file_;
  std::uint64_t size_ = 0;
  mutable std::uint64_t budget_ = 0;  // bytes that reads of this file may still allocate
};

// Reads back part `part` of `parts` of every dataset's rows (and, for part 0, every attribute), so
// that each chunk's checksum is checked: a write the file system lost (a full disk that MPI-IO did
// not report) fails here instead of leaving a file that claims to be complete. One process.
void verify_readable(const std::string& path, int part, int parts);

// "HDF5 1.10.8".
std::string library_version();

}  // namespace hybridscope::h5
