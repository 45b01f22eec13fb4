/* Exactly the contract of the issue: the header and three functions. */
#include <stdlib.h>

#include "hybridscope/kernel.h"

int hybridscope_kernel_setup(const hybridscope_kernel_context* context, void** state) {
  (void)context;
  *state = malloc(1);
  return *state ? 0 : 1;
}
uint64_t hybridscope_kernel_item(void* state, int64_t item) {
  (void)state;
  return (uint64_t)item * 3u;
}
void hybridscope_kernel_teardown(void* state) { free(state); }
