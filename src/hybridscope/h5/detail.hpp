#pragma once
// Shared by h5.cpp and parallel.cpp only. HDF5's types appear here as what they are on this HDF5
// (hid_t = Handle::Id, herr_t = int; h5.cpp checks it), so that only .cpp files include <hdf5.h>.
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "hybridscope/h5/h5.hpp"

namespace hybridscope::h5::detail {

// Throws H5Error("HDF5: cannot what: <HDF5's innermost messages>") when `status` is negative.
template <typename Status>
Status check(Status status, std::string_view what);

// HDF5 prints its error stack to stderr by default; we report it in our own one line instead.
void silence_error_printing();

template <typename T>
Handle::Id native_type();
template <> Handle::Id native_type<std::int8_t>();
template <> Handle::Id native_type<std::uint8_t>();
template <> Handle::Id native_type<std::int16_t>();
template <> Handle::Id native_type<std::uint16_t>();
template <> Handle::Id native_type<std::int32_t>();
template <> Handle::Id native_type<std::uint32_t>();
template <> Handle::Id native_type<std::int64_t>();
template <> Handle::Id native_type<std::uint64_t>();
template <> Handle::Id native_type<double>();

// A copy of a type, which (unlike the library's own native types) may be closed.
Handle copy_type(Handle::Id type);

template <typename T>
Handle owned_type() {
  return copy_type(native_type<T>());
}

Handle string_type(std::size_t width);
Handle scalar_space();
void write_attribute(Handle::Id object, const std::string& name, Handle::Id type, const void* value);

// The checksum HDF5's Fletcher-32 filter appends to a chunk (little-endian), over `bytes` bytes.
std::uint32_t fletcher32(const unsigned char* data, std::size_t bytes);

}  // namespace hybridscope::h5::detail
