#pragma once
// Values packed into bytes to travel in one MPI message, and unpacked in the same order: plain
// values byte for byte, strings and vectors with their length first.
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "hybridscope/core/error.hpp"

namespace hybridscope::mpi {

class Packer {
public:
  template <typename T>
  void operator()(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const char*>(&value);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  void operator()(const std::string& value) {
    (*this)(std::uint64_t{value.size()});
    bytes_.insert(bytes_.end(), value.begin(), value.end());
  }
  template <typename T>
  void operator()(const std::vector<T>& values) {
    (*this)(std::uint64_t{values.size()});
    for (const auto& v : values) (*this)(v);
  }
  const std::vector<char>& bytes() const { return bytes_; }

private:
  std::vector<char> bytes_;
};

class Unpacker {
public:
  Unpacker(const char* begin, const char* end) : at_(begin), end_(end) {}

  template <typename T>
  void operator()(T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::memcpy(&value, take(sizeof(T)), sizeof(T));
  }
  void operator()(std::string& value) {
    std::uint64_t n = 0;
    (*this)(n);
    const char* p = take(n);
    value.assign(p, n);
  }
  template <typename T>
  void operator()(std::vector<T>& values) {
    std::uint64_t n = 0;
    (*this)(n);
    values.resize(n);
    for (auto& v : values) (*this)(v);
  }
  bool done() const { return at_ == end_; }

private:
  const char* take(std::uint64_t n) {
    // Only our own packed bytes arrive here; running past them is a bug, not bad input.
    if (n > std::uint64_t(end_ - at_)) throw Error("internal error: unpacking past the end of a message");
    const char* p = at_;
    at_ += n;
    return p;
  }
  const char* at_;
  const char* end_;
};

}  // namespace hybridscope::mpi
