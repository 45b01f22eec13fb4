#include "hybridscope/h5/h5.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <iterator>
#include <type_traits>
#include <utility>

#include "hybridscope/h5/api.hpp"
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

// HDF5's Fletcher-32 (H5_checksum_fletcher32): 16-bit big-endian words, an odd last byte as the
// high byte of one more word, sums folded every 360 words.
std::uint32_t fletcher32(const unsigned char* data, std::size_t bytes) {
  std::uint32_t sum1 = 0, sum2 = 0;
  const auto fold = [&] {
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  };
  for (std::size_t words = bytes / 2; words > 0;) {
    std::size_t block = std::min<std::size_t>(words, 360);
    words -= block;
    for (; block > 0; --block, data += 2) {
      sum1 += (std::uint32_t(data[0]) << 8) | data[1];
      sum2 += sum1;
    }
    fold();
  }
  if (bytes % 2) {
    sum1 += std::uint32_t(*data) << 8;
    sum2 += sum1;
    fold();
  }
  fold();
  return (sum2 << 16) | sum1;
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

Handle open_dataset(hid_t file, const std::string& path) {
  return {check(H5Dopen2(file, path.c_str(), H5P_DEFAULT), fmt::format("open dataset '{}'", path)),
          H5Dclose};
}

hsize_t length_of(hid_t dataset, const std::string& path) {
  Handle space(check(H5Dget_space(dataset), "get dataspace"), H5Sclose);
  const auto n = check(H5Sget_simple_extent_npoints(space.get()), fmt::format("size '{}'", path));
  return static_cast<hsize_t>(n);
}

// a * b and a + b, saturating at the largest value instead of wrapping.
std::uint64_t times(std::uint64_t a, std::uint64_t b) {
  std::uint64_t out = 0;
  return __builtin_mul_overflow(a, b, &out) ? UINT64_MAX : out;
}
std::uint64_t plus(std::uint64_t a, std::uint64_t b) {
  std::uint64_t out = 0;
  return __builtin_add_overflow(a, b, &out) ? UINT64_MAX : out;
}

std::string human(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = double(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) value /= 1024, ++unit;
  return fmt::format("{:.1f} {}", value, units[unit]);
}

// The rows of a 1-D dataset; anything else is not a column.
hsize_t column_rows(hid_t dataset, const std::string& path) {
  Handle space(check(H5Dget_space(dataset), "get dataspace"), H5Sclose);
  const int dims = check(H5Sget_simple_extent_ndims(space.get()), fmt::format("get the rank of '{}'", path));
  if (dims != 1) throw H5Error(fmt::format("HDF5: '{}' has {} dimensions (accepted: a 1-D column)", path, dims));
  hsize_t rows = 0;
  check(H5Sget_simple_extent_dims(space.get(), &rows, nullptr), fmt::format("get the extent of '{}'", path));
  return rows;
}

template <typename T>
constexpr const char* type_name() {
  if constexpr (std::is_same_v<T, std::int8_t>) return "int8";
  else if constexpr (std::is_same_v<T, std::uint8_t>) return "uint8";
  else if constexpr (std::is_same_v<T, std::int16_t>) return "int16";
  else if constexpr (std::is_same_v<T, std::uint16_t>) return "uint16";
  else if constexpr (std::is_same_v<T, std::int32_t>) return "int32";
  else if constexpr (std::is_same_v<T, std::uint32_t>) return "uint32";
  else if constexpr (std::is_same_v<T, std::int64_t>) return "int64";
  else if constexpr (std::is_same_v<T, std::uint64_t>) return "uint64";
  else return "float64";
}

const char* class_name(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER: return "an integer";
    case H5T_FLOAT: return "a floating-point number";
    case H5T_STRING: return "a string";
    case H5T_ENUM: return "an enum";
    case H5T_COMPOUND: return "a compound";
    case H5T_ARRAY: return "an array";
    case H5T_VLEN: return "a variable-length sequence";
    default: return "another type";
  }
}

// Whether a stored integer or floating-point type holds exactly T (its byte order aside).
template <typename T>
bool holds(hid_t type) {
  if (H5Tget_size(type) != sizeof(T)) return false;
  if constexpr (std::is_floating_point_v<T>) {
    return H5Tget_class(type) == H5T_FLOAT;
  } else {
    return H5Tget_class(type) == H5T_INTEGER && (H5Tget_sign(type) == H5T_SGN_2) == std::is_signed_v<T>;
  }
}

// Every chunk of a chunked column is stored, with all its filters applied. The chunk index of the
// HDF5 1.8 file format (a v1 B-tree) has no checksum: a damaged key loses a chunk, which would then
// read as fill values, and a damaged filter mask skips a filter (the shuffle: wrong values) or the
// checksum. Writers store every chunk they create, filtered.
void check_chunks(hid_t dataset, const std::string& path, hsize_t rows) {
  Handle create(check(H5Dget_create_plist(dataset), "get the dataset creation list"), H5Pclose);
  if (H5Pget_layout(create.get()) != H5D_CHUNKED) return;
  hsize_t chunk = 0;
  if (check(H5Pget_chunk(create.get(), 1, &chunk), fmt::format("get the chunks of '{}'", path)) != 1 || chunk == 0)
    throw H5Error(fmt::format("HDF5: '{}' has chunks of {} rows", path, chunk));
  for (hsize_t first = 0; first < rows; first += chunk) {
    unsigned mask = 0;
    haddr_t address = HADDR_UNDEF;
    hsize_t bytes = 0;
    check(H5Dget_chunk_info_by_coord(dataset, &first, &mask, &address, &bytes),
          fmt::format("look up rows {} of '{}'", first, path));
    const hsize_t last = std::min(rows, first + chunk) - 1;
    // A zeroed index entry points at the superblock with no bytes: HDF5 then reads fill values.
    if (address == HADDR_UNDEF || address == 0 || bytes == 0)
      throw H5Error(fmt::format("HDF5: '{}': rows {}-{} are not stored (its chunk index is damaged?)", path, first,
                                last));
    if (mask != 0)
      throw H5Error(fmt::format("HDF5: '{}': rows {}-{} are stored without filter(s) {:#x} (accepted: all filters)",
                                path, first, last, mask));
  }
}

// An attribute holding one value of class `wanted`, with its stored type.
std::pair<Handle, Handle> open_attribute(hid_t object, const std::string& name, H5T_class_t wanted) {
  Handle attribute(check(H5Aopen(object, name.c_str(), H5P_DEFAULT), fmt::format("open attribute '{}'", name)),
                   H5Aclose);
  Handle space(check(H5Aget_space(attribute.get()), "get attribute space"), H5Sclose);
  const auto n = check(H5Sget_simple_extent_npoints(space.get()), fmt::format("size attribute '{}'", name));
  if (n != 1) throw H5Error(fmt::format("HDF5: attribute '{}' holds {} values (accepted: one)", name, n));
  Handle type(check(H5Aget_type(attribute.get()), "get attribute type"), H5Tclose);
  const auto stored = H5Tget_class(type.get());
  if (stored != wanted)
    throw H5Error(fmt::format("HDF5: attribute '{}' is {} (accepted: {})", name, class_name(stored),
                              class_name(wanted)));
  return {std::move(attribute), std::move(type)};
}
}  // namespace

File::File(const std::string& path) : path_(path), file_(open_file(path)) {
  hsize_t bytes = 0;
  check(H5Fget_filesize(file_.get(), &bytes), fmt::format("get the size of '{}'", path));
  size_ = bytes;
  budget_ = plus(times(size_, kMaxInflation), kFileSlackBytes);
}

void File::close() { file_.close(fmt::format("close '{}'", path_)); }

void File::reserve(hid_t dataset, const std::string& path, std::uint64_t rows, std::uint64_t element_bytes) const {
  const auto bytes = times(rows, element_bytes);
  // 0 when HDF5 cannot tell (then only the slack is allowed).
  const std::uint64_t stored = std::min<std::uint64_t>(H5Dget_storage_size(dataset), size_);
  H5Eclear2(H5E_DEFAULT);
  const auto most = plus(times(stored, kMaxInflation), kSlackBytes);
  if (bytes > most)
    throw H5Error(fmt::format("HDF5: '{}' in '{}' claims {} rows of {} bytes ({}), more than the {} stored for it "
                              "can hold (accepted: at most {} times that, as deflate expands at most that much)",
                              path, path_, rows, element_bytes, human(bytes), human(stored), kMaxInflation));
  if (bytes > budget_)
    throw H5Error(fmt::format("HDF5: '{}' in '{}' claims {} rows of {} bytes ({}), more than the {} left of what "
                              "a file of {} can hold ({} times its size)",
                              path, path_, rows, element_bytes, human(bytes), human(budget_), human(size_),
                              kMaxInflation));
  budget_ -= bytes;
}

bool File::exists(const std::string& path) const {
  // H5Lexists fails, rather than say no, when a group on the way is missing: look at each in turn.
  for (std::size_t end = path.find('/'); ; end = path.find('/', end + 1)) {
    const std::string prefix = path.substr(0, end);
    if (!prefix.empty() && check(H5Lexists(file_.get(), prefix.c_str(), H5P_DEFAULT),
                                 fmt::format("look up '{}'", prefix)) <= 0)
      return false;
    if (end == std::string::npos) return true;
  }
}

std::uint64_t File::rows(const std::string& path) const {
  auto dataset = open_dataset(file_.get(), path);
  return column_rows(dataset.get(), path);
}

std::string File::string_attribute(const std::string& name) const {
  auto [attribute, type] = open_attribute(file_.get(), name, H5T_STRING);
  if (check(H5Tis_variable_str(type.get()), "check the string type") != 0)
    throw H5Error(fmt::format("HDF5: attribute '{}' is a variable-length string (accepted: fixed-length)", name));
  const std::size_t width = H5Tget_size(type.get());
  // The value is stored in the file as it is: it cannot be wider than the file.
  if (width == 0 || width > size_ || width > budget_)
    throw H5Error(fmt::format("HDF5: attribute '{}' in '{}' claims a string of {} bytes in a file of {}", name,
                              path_, width, human(size_)));
  budget_ -= width;
  std::string value(width, '\0');
  check(H5Aread(attribute.get(), type.get(), value.data()), fmt::format("read attribute '{}'", name));
  value.resize(strnlen(value.c_str(), width));
  return value;
}

std::int64_t File::integer_attribute(const std::string& name) const {
  auto [attribute, type] = open_attribute(file_.get(), name, H5T_INTEGER);
  std::int64_t value = 0;
  check(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), fmt::format("read attribute '{}'", name));
  return value;
}

double File::double_attribute(const std::string& name) const {
  auto [attribute, type] = open_attribute(file_.get(), name, H5T_FLOAT);
  double value = 0;
  check(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), fmt::format("read attribute '{}'", name));
  return value;
}

template <typename T>
std::vector<T> File::read_column(const std::string& path) const {
  auto dataset = open_dataset(file_.get(), path);
  const hsize_t rows = column_rows(dataset.get(), path);
  Handle stored(check(H5Dget_type(dataset.get()), "get type"), H5Tclose);
  hid_t memory = native_type<T>();
  Handle native;
  const auto stored_class = H5Tget_class(stored.get());
  if (stored_class == H5T_ENUM && std::is_integral_v<T>) {
    // Enums convert only to enums: read the codes through the native enum of the same base.
    Handle base(check(H5Tget_super(stored.get()), "get enum base"), H5Tclose);
    if (!holds<T>(base.get()))
      throw H5Error(fmt::format("HDF5: '{}' is an enum of {}-byte codes (accepted: {})", path,
                                H5Tget_size(base.get()), type_name<T>()));
    native = Handle(check(H5Tget_native_type(stored.get(), H5T_DIR_ASCEND), "get native enum type"), H5Tclose);
    memory = native.get();
  } else if (!holds<T>(stored.get())) {
    throw H5Error(fmt::format("HDF5: '{}' is {} of {} bytes (accepted: {})", path, class_name(stored_class),
                              H5Tget_size(stored.get()), type_name<T>()));
  }
  reserve(dataset.get(), path, rows, sizeof(T));
  check_chunks(dataset.get(), path, rows);
  std::vector<T> values(rows);
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
  const hsize_t rows = column_rows(dataset.get(), path);
  Handle type(check(H5Dget_type(dataset.get()), "get type"), H5Tclose);
  const auto stored_class = H5Tget_class(type.get());
  if (stored_class != H5T_STRING)
    throw H5Error(fmt::format("HDF5: '{}' is {} (accepted: fixed-length strings)", path, class_name(stored_class)));
  if (check(H5Tis_variable_str(type.get()), "check the string type") != 0)
    throw H5Error(fmt::format("HDF5: '{}' holds variable-length strings (accepted: fixed-length)", path));
  const std::size_t width = H5Tget_size(type.get());
  if (width == 0) throw H5Error(fmt::format("HDF5: '{}' holds strings of 0 bytes", path));
  reserve(dataset.get(), path, rows, width);
  check_chunks(dataset.get(), path, rows);
  std::vector<char> packed(rows * width + 1, '\0');
  if (rows > 0)
    check(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, packed.data()),
          fmt::format("read '{}'", path));
  std::vector<std::string> out;
  out.reserve(rows);
  for (hsize_t i = 0; i < rows; ++i) {
    const char* p = packed.data() + i * width;
    out.emplace_back(p, strnlen(p, width));
  }
  return out;
}

std::vector<std::string> File::enum_names(const std::string& path) const {
  auto dataset = open_dataset(file_.get(), path);
  Handle stored(check(H5Dget_type(dataset.get()), "get type"), H5Tclose);
  if (H5Tget_class(stored.get()) != H5T_ENUM)
    throw H5Error(fmt::format("HDF5: '{}' is {} (accepted: an enum)", path, class_name(H5Tget_class(stored.get()))));
  Handle type(check(H5Tget_native_type(stored.get(), H5T_DIR_ASCEND), "get native enum type"), H5Tclose);
  Handle base(check(H5Tget_super(type.get()), "get enum base"), H5Tclose);
  const std::size_t size = H5Tget_size(base.get());
  const bool is_signed = H5Tget_sign(base.get()) == H5T_SGN_2;
  const int members = check(H5Tget_nmembers(type.get()), fmt::format("count the names of '{}'", path));
  constexpr int kMostMembers = 1 << 12;
  if ((size != 1 && size != 2 && size != 4 && size != 8) || members > kMostMembers)
    throw H5Error(fmt::format("HDF5: '{}' is an enum of {} names of {}-byte codes", path, members, size));
  std::vector<std::string> names(static_cast<std::size_t>(members));
  std::vector<bool> seen(names.size(), false);
  for (int i = 0; i < members; ++i) {
    unsigned char bytes[8] = {};
    check(H5Tget_member_value(type.get(), static_cast<unsigned>(i), bytes), "get an enum value");
    std::int64_t code = 0;
    if (size == 1) code = is_signed ? std::int64_t(std::int8_t(bytes[0])) : std::int64_t(bytes[0]);
    else if (size == 2) { std::int16_t v; std::memcpy(&v, bytes, 2); code = is_signed ? v : std::int64_t(std::uint16_t(v)); }
    else if (size == 4) { std::int32_t v; std::memcpy(&v, bytes, 4); code = is_signed ? v : std::int64_t(std::uint32_t(v)); }
    else { std::memcpy(&code, bytes, 8); }
    if (code < 0 || code >= members || seen[std::size_t(code)])
      throw H5Error(fmt::format("HDF5: the enum of '{}' has the code {} (accepted: 0-{}, each once)", path, code,
                                members - 1));
    seen[std::size_t(code)] = true;
    char* name = H5Tget_member_name(type.get(), static_cast<unsigned>(i));
    if (!name) throw H5Error(fmt::format("HDF5: cannot get a name of the enum of '{}'", path));
    names[std::size_t(code)] = name;
    H5free_memory(name);
  }
  return names;
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

// Reads part `part` of `parts` of a dataset's chunks as stored, without inflating them (inflating
// was half the cost of the read-back): each chunk must be there, passed through every filter, be
// a zlib stream (a chunk the file system lost reads as zeros) and end with the Fletcher-32 of the
// rest, as HDF5 wrote it.
void read_chunks(hid_t dataset, const std::string& path, hsize_t rows, hsize_t chunk_rows, const VerifyPart& v) {
  const hsize_t chunks = (rows + chunk_rows - 1) / chunk_rows;
  const hsize_t first = chunks * hsize_t(v.part) / hsize_t(v.parts), last = chunks * hsize_t(v.part + 1) / hsize_t(v.parts);
  std::vector<unsigned char> bytes;
  for (hsize_t c = first; c < last; ++c) {
    const hsize_t offset[1] = {c * chunk_rows};
    hsize_t stored = 0;
    check(H5Dget_chunk_storage_size(dataset, offset, &stored), fmt::format("find chunk {} of '{}'", c, path));
    const auto damaged = [&](std::string_view what) {
      return H5Error(fmt::format("HDF5: chunk {} of '{}' {}", c, path, what));
    };
    if (stored < 6) throw damaged("is missing");
    bytes.resize(stored);
    std::uint32_t filters = 0;
    check(H5Dread_chunk(dataset, H5P_DEFAULT, offset, &filters, bytes.data()), fmt::format("read back '{}'", path));
    const std::uint32_t header = (std::uint32_t(bytes[0]) << 8) | bytes[1];
    if (filters != 0 || (bytes[0] & 0x0f) != 8 || header % 31 != 0) throw damaged("is not compressed data");
    std::uint32_t sum = 0;
    for (int i = 3; i >= 0; --i) sum = (sum << 8) | bytes[stored - 4 + std::size_t(i)];
    if (sum != detail::fletcher32(bytes.data(), stored - 4)) throw damaged("fails its checksum");
  }
}

// Reads back part `part` of `parts` of a dataset: its chunks as stored when it is chunked, else
// its rows.
void read_rows(hid_t dataset, const char* name, const VerifyPart& v) {
  const std::string path(name);
  const hsize_t rows = length_of(dataset, path);
  if (rows == 0) return;
  Handle create(check(H5Dget_create_plist(dataset), "get dataset creation list"), H5Pclose);
  hsize_t chunk_rows = 0;
  if (H5Pget_layout(create.get()) == H5D_CHUNKED && H5Pget_nfilters(create.get()) == 3 &&
      check(H5Pget_chunk(create.get(), 1, &chunk_rows), "get chunk size") == 1)
    return read_chunks(dataset, path, rows, chunk_rows, v);
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
