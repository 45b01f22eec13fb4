/* A plug-in written before the ABI mark existed (no header): taken as ABI 1. */
#include <stdint.h>
int hybridscope_kernel_setup(const void* context, void** state) {
  (void)context;
  *state = 0;
  return 0;
}
uint64_t hybridscope_kernel_item(void* state, int64_t item) {
  (void)state;
  return (uint64_t)item * 3u;
}
