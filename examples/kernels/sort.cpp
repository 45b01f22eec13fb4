// A C++ kernel with per-thread state: item i fills this thread's buffer with numbers drawn from a
// generator seeded with i, sorts them and returns a digest of the sorted order. The buffer is
// allocated once per thread in setup (first touched there), and an optional per-rank setup parses
// the arguments once: "size=N" (default 200000).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "hybridscope/kernel.h"

namespace {
struct Options {
  std::size_t size = 200000;
};
struct Buffer {
  std::vector<std::uint64_t> values;
};
}  // namespace

extern "C" int hybridscope_kernel_rank_setup(const hybridscope_kernel_context* context, void** rank_state) {
  auto* options = new (std::nothrow) Options;
  if (!options) return 1;
  unsigned long size = 0;
  if (context->args[0]) {
    if (std::sscanf(context->args, "size=%lu", &size) != 1 || size == 0 || size > (1ul << 26)) {
      delete options;
      context->fail(context, "sort: args must be \"size=N\" with 0 < N <= 2^26");
      return 1;
    }
    options->size = size;
  }
  *rank_state = options;
  return 0;
}

extern "C" void hybridscope_kernel_rank_teardown(void* rank_state) { delete static_cast<Options*>(rank_state); }

extern "C" int hybridscope_kernel_setup(const hybridscope_kernel_context* context, void** state) {
  try {
    const auto* options = static_cast<const Options*>(context->rank_state);
    auto buffer = new Buffer;
    buffer->values.resize(options->size);
    *state = buffer;
    return 0;
  } catch (const std::exception& e) {  // never let an exception cross the C interface
    context->fail(context, e.what());
    return 1;
  }
}

extern "C" std::uint64_t hybridscope_kernel_item(void* state, std::int64_t item) {
  auto& values = static_cast<Buffer*>(state)->values;
  std::mt19937_64 draw(static_cast<std::uint64_t>(item));
  for (auto& v : values) v = draw();
  std::sort(values.begin(), values.end());
  std::uint64_t digest = 0;
  for (std::size_t i = 0; i < values.size(); i += 97) digest = digest * 31 + values[i];
  return digest;
}

extern "C" void hybridscope_kernel_teardown(void* state) { delete static_cast<Buffer*>(state); }
