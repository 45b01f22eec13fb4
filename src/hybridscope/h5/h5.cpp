#include "hybridscope/h5/h5.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <utility>

#include <hdf5.h>

#include "hybridscope/h5/detail.hpp"

namespace hybridscope::h5 {

static_assert(std::is_same_v<hid_t, Handle::Id> && std::is_same_v<herr_t, int>,
              "h5::Handle stores HDF5 identifiers as int64_t and closers as int(int64_t)");

namespace detail {

namespace {
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
}  // namespace

template <typename Status>
Status check(Status status, std::string_view what) {
  if (status < 0) throw H5Error(fmt::format("HDF5: cannot {}: {}", what, hdf5_messages()));
  return status;
}
template hid_t check<hid_t>(hid_t, std::string_view);
template herr_t check<herr_t>(herr_t, std::string_view);

void silence_error_printing() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

template <> hid_t native_type<std::int8_t>() { return H5T_NATIVE_INT8; }
template <> hid_t native_type<std::uint8_t>() { return H5T_NATIVE_UINT8; }
template <> hid_t native_type<std::int16_t>() { return H5T_NATIVE_INT16; }
template <> hid_t native_type<std::uint16_t>() { return H5T_NATIVE_UINT16; }
template <> hid_t native_type<std::int32_t>() { return H5T_NATIVE_INT32; }
template <> hid_t native_type<std::uint32_t>() { return H5T_NATIVE_UINT32; }
template <> hid_t native_type<std::int64_t>() { return H5T_NATIVE_INT64; }
template <> hid_t native_type<std::uint64_t>() { return H5T_NATIVE_UINT64; }
template <> hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }

Handle copy_type(hid_t type) { return {check(H5Tcopy(type), "copy a type"), H5Tclose}; }

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

}  // namespace detail

using detail::check;
using detail::native_type;


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

namespace {
Handle open_file(const std::string& path) {
  detail::silence_error_printing();
  return {check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), fmt::format("open '{}'", path)),
          H5Fclose};
}

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

File::File(const std::string& path) : path_(path), file_(open_file(path)) {}

void File::close() { file_.close(fmt::format("close '{}'", path_)); }

std::uint64_t File::rows(const std::string& path) const {
  auto dataset = open_dataset(file_.get(), path);
  return length_of(dataset.get(), path);
}

std::string File::string_attribute(const std::string& name) const {
  auto attribute = open_attribute(file_.get(), name);
  Handle type(check(H5Aget_type(attribute.get()), "get attribute type"), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) != 0)
    throw H5Error(fmt::format("HDF5: attribute '{}' is not a fixed-length string", name));
  std::string value(H5Tget_size(type.get()), '\0');
  check(H5Aread(attribute.get(), type.get(), value.data()), fmt::format("read attribute '{}'", name));
  value.resize(std::strlen(value.c_str()));
  return value;
}

std::int64_t File::integer_attribute(const std::string& name) const {
  auto attribute = open_attribute(file_.get(), name);
  std::int64_t value = 0;
  check(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), fmt::format("read attribute '{}'", name));
  return value;
}

double File::double_attribute(const std::string& name) const {
  auto attribute = open_attribute(file_.get(), name);
  double value = 0;
  check(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), fmt::format("read attribute '{}'", name));
  return value;
}

template <typename T>
std::vector<T> File::read_column(const std::string& path) const {
  auto dataset = open_dataset(file_.get(), path);
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
template std::vector<std::int16_t> File::read_column(const std::string&) const;
template std::vector<std::uint8_t> File::read_column(const std::string&) const;
template std::vector<std::uint16_t> File::read_column(const std::string&) const;
template std::vector<std::int32_t> File::read_column(const std::string&) const;
template std::vector<std::uint32_t> File::read_column(const std::string&) const;
template std::vector<std::int64_t> File::read_column(const std::string&) const;
template std::vector<std::uint64_t> File::read_column(const std::string&) const;
template std::vector<double> File::read_column(const std::string&) const;

std::vector<std::string> File::read_strings(const std::string& path) const {
  auto dataset = open_dataset(file_.get(), path);
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

std::string library_version() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  return fmt::format("HDF5 {}.{}.{}", major, minor, release);
}

}  // namespace hybridscope::h5
