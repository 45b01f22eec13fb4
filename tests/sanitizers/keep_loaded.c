/* Preloaded (LD_PRELOAD) into every process of the AddressSanitizer test runs; built without
 * sanitizers. Open MPI 4.1 dlcloses its plugins in MPI_Finalize, and PMIx with them, so by the
 * time LeakSanitizer checks at exit, their leaks are allocated from code with no module name:
 * lsan.supp cannot name them, and every such frame makes the sanitizer reread the list of loaded
 * modules, several seconds per process. Keeping every library loaded until exit avoids both. */
int dlclose(void* handle) {
  (void)handle;
  return 0;
}
