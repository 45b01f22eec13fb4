/* A shared library that is not a plug-in: no hybridscope_kernel_item. */
int hybridscope_kernel_setup(const void* context, void** state) {
  (void)context;
  *state = 0;
  return 0;
}
int unrelated(int x) { return x + 1; }
