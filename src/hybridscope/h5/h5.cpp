#include "hybridscope/h5/h5.hpp"

#include "hybridscope/mpi/session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <utility>

namespace hybridscope::h5 {

namespace {

// Rows per chunk of a column: large enough to compress well, small enough to keep memory flat.
constexpr std::uint64_t kChunkRows = 1 << 16;

herr_t collect_message(unsigned, const H5E_error2_t* error, void* out) {
  auto& messages = *static_cast<std::string*>(out);
  if (error->desc && *error->desc) messages += fmt::format("{}{}", messages.empty() ? "" : "; ", error->desc);
  return 0;
}

std::string hdf5_messages() {
  std::string messages;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_message, &messages);
  H5Eclear2(H5E_DEFAULT);
  return messages.empty() ? "no detail from HDF5" : messages;
}

Handle scalar_space() { return {check(H5Screate(H5S_SCALAR), "create dataspace"), H5Sclose}; }

void write_attribute(hid_t object, const std::string& name, hid_t type, const void* value) {
  auto space = scalar_space();
  Handle attribute(check(H5Acreate2(object, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                         fmt::format("create attribute '{}'", name)),
                   H5Aclose);
  check(H5Awrite(attribute.get(), type, value), fmt::format("write attribute '{}'", name));
}

Handle string_type(std::size_t width) {
  Handle type(check(H5Tcopy(H5T_C_S1), "copy string type"), H5Tclose);
  check(H5Tset_size(type.get(), std::max<std::size_t>(1, width)), "size string type");
  check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "pad string type");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "set string charset");
  return type;
}

}  // namespace

template <typename Status>
Status check(Status status, std::string_view what) {
  if (status < 0) throw H5Error(fmt::format("HDF5: cannot {}: {}", what, hdf5_messages()));
  return status;
}
template hid_t check<hid_t>(hid_t, std::string_view);
template herr_t check<herr_t>(herr_t, std::string_view);

template <typename Status>
Status check_all(MPI_Comm comm, Status status, std::string_view what) {
  const std::string failure = status < 0 ? fmt::format("HDF5: cannot {}: {}", what, hdf5_messages()) : "";
  try {
    mpi::raise_if_any_failed(comm, failure);
  } catch (const Error& e) {
    throw H5Error(e.what());
  }
  return status;
}
template hid_t check_all<hid_t>(MPI_Comm, hid_t, std::string_view);
template herr_t check_all<herr_t>(MPI_Comm, herr_t, std::string_view);

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    closer_ = other.closer_;
    other.id_ = -1;
  }
  return *this;
}

void Handle::reset() noexcept {
  if (id_ >= 0 && closer_) closer_(id_);
  id_ = -1;
}

void Handle::close(std::string_view what) {
  const hid_t id = id_;
  id_ = -1;
  if (id >= 0 && closer_) check(closer_(id), what);
}

Handle create_file(const std::string& path, MPI_Comm comm) {
  // HDF5 prints its error stack to stderr by default; we report it in our own one line instead.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Handle access(check(H5Pcreate(H5P_FILE_ACCESS), "create file access list"), H5Pclose);
  // ROMIO's data-sieving writes lock the region they rewrite (fcntl) and, when the write fails on
  // a full disk, return without unlocking it: the next rank to write there waited in fcntl forever
  // (tests/faults/test_disk_full.sh). Without data sieving no write takes a lock; OMPIO ignores
  // the hint. HDF5 copies the info, so it is freed at once.
  MPI_Info hints = MPI_INFO_NULL;
  MPI_Info_create(&hints);
  MPI_Info_set(hints, "romio_ds_write", "disable");
  const herr_t set = H5Pset_fapl_mpio(access.get(), comm, hints);
  MPI_Info_free(&hints);
  check(set, "set MPI-IO file access");
  // Metadata reads and writes by all ranks together: no rank reads the file alone at open.
  check(H5Pset_all_coll_metadata_ops(access.get(), true), "set collective metadata reads");
  check(H5Pset_coll_metadata_write(access.get(), true), "set collective metadata writes");
  return {check_all(comm, H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, access.get()),
                    fmt::format("create '{}'", path)),
          H5Fclose};
}

Handle create_group(hid_t parent, const std::string& name) {
  return {check(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                fmt::format("create group '{}'", name)),
          H5Gclose};
}

void set_attribute(hid_t object, const std::string& name, std::string_view value) {
  auto type = string_type(value.size());
  std::string padded(value);
  padded.resize(std::max<std::size_t>(1, value.size()), '\0');
  write_attribute(object, name, type.get(), padded.data());
}

void set_attribute(hid_t object, const std::string& name, std::int64_t value) {
  write_attribute(object, name, H5T_NATIVE_INT64, &value);
}

void set_attribute(hid_t object, const std::string& name, double value) {
  write_attribute(object, name, H5T_NATIVE_DOUBLE, &value);
}

Handle enum_type(const std::vector<std::string_view>& names) {
  Handle type(check(H5Tenum_create(H5T_NATIVE_UINT8), "create enum type"), H5Tclose);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto code = static_cast<std::uint8_t>(i);
    check(H5Tenum_insert(type.get(), std::string(names[i]).c_str(), &code), "insert enum value");
  }
  return type;
}

template <> hid_t native_type<std::int8_t>() { return H5T_NATIVE_INT8; }
template <> hid_t native_type<std::uint8_t>() { return H5T_NATIVE_UINT8; }
template <> hid_t native_type<std::int16_t>() { return H5T_NATIVE_INT16; }
template <> hid_t native_type<std::uint16_t>() { return H5T_NATIVE_UINT16; }
template <> hid_t native_type<std::int32_t>() { return H5T_NATIVE_INT32; }
template <> hid_t native_type<std::uint32_t>() { return H5T_NATIVE_UINT32; }
template <> hid_t native_type<std::int64_t>() { return H5T_NATIVE_INT64; }
template <> hid_t native_type<std::uint64_t>() { return H5T_NATIVE_UINT64; }
template <> hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }

Handle open_file(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  return {check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), fmt::format("open '{}'", path)),
          H5Fclose};
}

namespace {
Handle open_attribute(hid_t object, const std::string& name) {
  return {check(H5Aopen(object, name.c_str(), H5P_DEFAULT), fmt::format("open attribute '{}'", name)),
          H5Aclose};
}

Handle open_dataset(hid_t file, const std::string& path) {
  return {check(H5Dopen2(file, path.c_str(), H5P_DEFAULT), fmt::format("open dataset '{}'", path)),
          H5Dclose};
}

hsize_t length_of(hid_t dataset, const std::string& path) {
  Handle space(check(H5Dget_space(dataset), "get dataspace"), H5Sclose);
  const auto n = check(H5Sget_simple_extent_npoints(space.get()), fmt::format("size '{}'", path));
  return static_cast<hsize_t>(n);
}
}  // namespace

std::string string_attribute(hid_t object, const std::string& name) {
  auto attribute = open_attribute(object, name);
  Handle type(check(H5Aget_type(attribute.get()), "get attribute type"), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) != 0)
    throw H5Error(fmt::format("HDF5: attribute '{}' is not a fixed-length string", name));
  std::string value(H5Tget_size(type.get()), '\0');
  check(H5Aread(attribute.get(), type.get(), value.data()), fmt::format("read attribute '{}'", name));
  value.resize(std::strlen(value.c_str()));
  return value;
}

std::int64_t integer_attribute(hid_t object, const std::string& name) {
  auto attribute = open_attribute(object, name);
  std::int64_t value = 0;
  check(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), fmt::format("read attribute '{}'", name));
  return value;
}

double double_attribute(hid_t object, const std::string& name) {
  auto attribute = open_attribute(object, name);
  double value = 0;
  check(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), fmt::format("read attribute '{}'", name));
  return value;
}

template <typename T>
std::vector<T> read_column(hid_t file, const std::string& path) {
  auto dataset = open_dataset(file, path);
  std::vector<T> values(length_of(dataset.get(), path));
  Handle stored(check(H5Dget_type(dataset.get()), "get type"), H5Tclose);
  // Enums convert only to enums; read their codes through an integer type of the same size.
  hid_t memory = native_type<T>();
  Handle base;
  if (H5Tget_class(stored.get()) == H5T_ENUM) {
    base = Handle(check(H5Tget_super(stored.get()), "get enum base"), H5Tclose);
    if (H5Tget_size(base.get()) != sizeof(T))
      throw H5Error(fmt::format("HDF5: '{}' is an enum of {} bytes", path, H5Tget_size(base.get())));
    memory = stored.get();
  }
  if (!values.empty())
    check(H5Dread(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
          fmt::format("read '{}'", path));
  return values;
}
template std::vector<std::int16_t> read_column(hid_t, const std::string&);
template std::vector<std::uint8_t> read_column(hid_t, const std::string&);
template std::vector<std::uint16_t> read_column(hid_t, const std::string&);
template std::vector<std::int32_t> read_column(hid_t, const std::string&);
template std::vector<std::uint32_t> read_column(hid_t, const std::string&);
template std::vector<std::int64_t> read_column(hid_t, const std::string&);
template std::vector<std::uint64_t> read_column(hid_t, const std::string&);
template std::vector<double> read_column(hid_t, const std::string&);

std::vector<std::string> read_strings(hid_t file, const std::string& path) {
  auto dataset = open_dataset(file, path);
  const auto n = length_of(dataset.get(), path);
  Handle type(check(H5Dget_type(dataset.get()), "get type"), H5Tclose);
  const std::size_t width = H5Tget_size(type.get());
  std::vector<char> packed(n * width + 1, '\0');
  if (n > 0)
    check(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, packed.data()),
          fmt::format("read '{}'", path));
  std::vector<std::string> out;
  for (hsize_t i = 0; i < n; ++i) {
    const char* p = packed.data() + i * width;
    out.emplace_back(p, strnlen(p, width));
  }
  return out;
}

namespace {

struct VerifyPart {
  int part, parts;
};

void read_attributes(hid_t object, const char* object_name) {
  const auto count = check(H5Aget_num_attrs(object), fmt::format("count attributes of '{}'", object_name));
  for (int i = 0; i < count; ++i) {
    Handle attribute(check(H5Aopen_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, static_cast<hsize_t>(i),
                                              H5P_DEFAULT, H5P_DEFAULT), "open an attribute"), H5Aclose);
    Handle type(check(H5Aget_type(attribute.get()), "get attribute type"), H5Tclose);
    Handle space(check(H5Aget_space(attribute.get()), "get attribute space"), H5Sclose);
    const auto n = check(H5Sget_simple_extent_npoints(space.get()), "size an attribute");
    std::vector<char> bytes(static_cast<std::size_t>(n) * H5Tget_size(type.get()) + 1);
    check(H5Aread(attribute.get(), type.get(), bytes.data()),
          fmt::format("read an attribute of '{}'", object_name));
  }
}

void read_rows(hid_t dataset, const char* name, const VerifyPart& v) {
  const std::string path(name);
  const hsize_t rows = length_of(dataset, path);
  const hsize_t first = rows * static_cast<hsize_t>(v.part) / static_cast<hsize_t>(v.parts);
  const hsize_t count = rows * static_cast<hsize_t>(v.part + 1) / static_cast<hsize_t>(v.parts) - first;
  if (count == 0) return;
  Handle type(check(H5Dget_type(dataset), "get type"), H5Tclose);
  Handle file_space(check(H5Dget_space(dataset), "get dataspace"), H5Sclose);
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &first, nullptr, &count, nullptr),
        "select rows");
  Handle memory_space(check(H5Screate_simple(1, &count, nullptr), "create memory space"), H5Sclose);
  std::vector<char> bytes(count * H5Tget_size(type.get()));
  check(H5Dread(dataset, type.get(), memory_space.get(), file_space.get(), H5P_DEFAULT, bytes.data()),
        fmt::format("read back '{}'", path));
}

herr_t verify_object(hid_t root, const char* name, const H5O_info_t* info, void* data) {
  const auto& v = *static_cast<const VerifyPart*>(data);
  Handle object(check(H5Oopen(root, name, H5P_DEFAULT), fmt::format("open '{}'", name)), H5Oclose);
  if (v.part == 0) read_attributes(object.get(), name);
  if (info->type == H5O_TYPE_DATASET) read_rows(object.get(), name, v);
  return 0;
}

}  // namespace

void verify_readable(const std::string& path, int part, int parts) {
  auto file = open_file(path);
  // Exceptions must not cross HDF5's C frames: the visitor records the first one and stops.
  const auto visit = [](hid_t root, const char* name, const H5O_info_t* info, void* data) -> herr_t {
    auto& [verify, error] = *static_cast<std::pair<VerifyPart, std::exception_ptr>*>(data);
    try {
      return verify_object(root, name, info, &verify);
    } catch (...) {
      error = std::current_exception();
      return -1;
    }
  };
  std::pair<VerifyPart, std::exception_ptr> state{{part, parts}, nullptr};
  const herr_t status = H5Ovisit2(file.get(), H5_INDEX_NAME, H5_ITER_NATIVE, visit, &state, H5O_INFO_BASIC);
  if (state.second) std::rethrow_exception(state.second);
  check(status, fmt::format("read back '{}'", path));
  file.close(fmt::format("close '{}'", path));
}

Table::Table(MPI_Comm comm, hid_t parent, const std::string& name, std::uint64_t local_rows)
    : comm_(comm), group_(create_group(parent, name)), local_(local_rows) {
  MPI_Exscan(&local_, &offset_, 1, MPI_UINT64_T, MPI_SUM, comm);
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) offset_ = 0;  // MPI_Exscan leaves rank 0's result undefined
  MPI_Allreduce(&local_, &total_, 1, MPI_UINT64_T, MPI_SUM, comm);
  transfer_ = Handle(check(H5Pcreate(H5P_DATASET_XFER), "create transfer list"), H5Pclose);
  check(H5Pset_dxpl_mpio(transfer_.get(), H5FD_MPIO_COLLECTIVE), "set collective transfer");
}

Handle Table::add_column(const std::string& name, hid_t type, std::string_view unit) {
  const hsize_t dims[1] = {total_};
  Handle space(check(H5Screate_simple(1, dims, nullptr), "create dataspace"), H5Sclose);
  Handle create(check(H5Pcreate(H5P_DATASET_CREATE), "create dataset list"), H5Pclose);
  const hsize_t chunk[1] = {std::clamp<hsize_t>(total_, 1, kChunkRows)};
  check(H5Pset_chunk(create.get(), 1, chunk), "set chunking");
  check(H5Pset_shuffle(create.get()), "set shuffle filter");
  check(H5Pset_deflate(create.get(), 1), "set deflate filter");
  // A checksum per chunk, so that a chunk the file system lost is noticed when read.
  check(H5Pset_fletcher32(create.get()), "set checksum filter");
  // Chunks are written whole and once; skip filling them with a value first.
  check(H5Pset_fill_time(create.get(), H5D_FILL_TIME_NEVER), "set fill time");
  check(H5Pset_alloc_time(create.get(), H5D_ALLOC_TIME_INCR), "set allocation time");
  Handle dataset(check(H5Dcreate2(group_.get(), name.c_str(), type, space.get(), H5P_DEFAULT,
                                  create.get(), H5P_DEFAULT),
                       fmt::format("create dataset '{}'", name)),
                 H5Dclose);
  if (!unit.empty()) set_attribute(dataset.get(), "unit", unit);
  return dataset;
}

void Table::write(hid_t column, hid_t type, std::uint64_t first, std::uint64_t count, const void* data) {
  Handle file_space(check(H5Dget_space(column), "get dataspace"), H5Sclose);
  const hsize_t start[1] = {offset_ + first};
  const hsize_t size[1] = {count};
  if (count > 0)
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, size, nullptr),
          "select rows");
  else
    check(H5Sselect_none(file_space.get()), "select no rows");
  const hsize_t memory_size[1] = {std::max<hsize_t>(count, 1)};
  Handle memory_space(check(H5Screate_simple(1, memory_size, nullptr), "create memory space"), H5Sclose);
  if (count == 0) check(H5Sselect_none(memory_space.get()), "select no memory");
  check(H5Dwrite(column, type, memory_space.get(), file_space.get(), transfer_.get(), data), "write rows");
}

void Table::strings(const std::string& name, const std::vector<std::string>& values) {
  std::uint64_t width = 1;
  for (const auto& v : values) width = std::max<std::uint64_t>(width, v.size());
  MPI_Allreduce(MPI_IN_PLACE, &width, 1, MPI_UINT64_T, MPI_MAX, comm_);
  std::vector<char> packed(values.size() * width, '\0');
  for (std::size_t i = 0; i < values.size(); ++i)
    std::memcpy(packed.data() + i * width, values[i].data(), values[i].size());
  auto type = string_type(width);
  auto dataset = add_column(name, type.get());
  write(dataset.get(), type.get(), 0, values.size(), packed.data());
  dataset.close(fmt::format("close dataset '{}'", name));
}

}  // namespace hybridscope::h5
