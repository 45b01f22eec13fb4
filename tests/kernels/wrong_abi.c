/* A plug-in built for a future ABI: hybridscope must refuse it. */
#define HYBRIDSCOPE_KERNEL_NO_ABI_MARK
#include "hybridscope/kernel.h"

__attribute__((visibility("default"))) const int hybridscope_kernel_abi = HYBRIDSCOPE_KERNEL_ABI + 1;

int hybridscope_kernel_setup(const hybridscope_kernel_context* context, void** state) {
  (void)context;
  *state = 0;
  return 0;
}
uint64_t hybridscope_kernel_item(void* state, int64_t item) {
  (void)state;
  return (uint64_t)item;
}
