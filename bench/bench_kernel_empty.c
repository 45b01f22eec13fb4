/* The cheapest plug-in: an item returns its number (bench_kernels.cpp measures the call). */
#include "hybridscope/kernel.h"

int hybridscope_kernel_setup(const hybridscope_kernel_context* context, void** state) {
  (void)context;
  *state = 0;
  return 0;
}
uint64_t hybridscope_kernel_item(void* state, int64_t item) {
  (void)state;
  return (uint64_t)item;
}
