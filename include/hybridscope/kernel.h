/* hybridscope kernel plug-in contract (workload.kind = "plugin").
 *
 * A plug-in is a shared library that hybridscope loads with dlopen on every rank. It defines
 * hybridscope_kernel_setup and hybridscope_kernel_item (required) and may define the optional
 * functions below. Including this header marks the library with the ABI version it was built for
 * (the symbol hybridscope_kernel_abi); a library without the mark is taken as ABI 1, and one built
 * for another version is refused. docs/kernels.md has examples in C, C++ and Fortran.
 *
 * Calls, per rank:
 *   hybridscope_kernel_rank_setup(context, &rank_state)    optional, once, on the rank's main thread
 *   hybridscope_kernel_setup(context, &state)              once on every OpenMP thread (context->thread)
 *   hybridscope_kernel_item(state, item)                   once per item handed to that thread
 *   hybridscope_kernel_teardown(state)                     optional, on the same thread, at its end
 *   hybridscope_kernel_rank_teardown(rank_state)           optional, once, after every thread's teardown
 * A rank's threads call setup, item and teardown concurrently: what they share must be thread-safe.
 * item's value goes into the run checksum; a kernel that returns the same value for the same item in
 * every layout gives the same checksum in every layout.
 *
 * Errors: setup and rank_setup return 0 for success, anything else for failure, and may write a
 * message with context->fail(). An item fails by calling context->fail() (keep the context from
 * setup) and returning; hybridscope then ends the run on every rank with that message (exit 1).
 */
#ifndef HYBRIDSCOPE_KERNEL_H
#define HYBRIDSCOPE_KERNEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HYBRIDSCOPE_KERNEL_ABI 1

typedef struct hybridscope_kernel_context {
  int abi_version;           /* HYBRIDSCOPE_KERNEL_ABI of the driver */
  int rank, ranks, thread, threads; /* thread = threads = -1 in rank_setup */
  const char* args;          /* workload.args, "" when absent */
  int (*stopped)(void);      /* non-zero once the run is stopped: a long item may return early */
  /* Records a failure of this thread with a message (copied; the first one counts). Callable from
   * setup, item and rank_setup on the thread the context was given to. The driver ends the run
   * after setup returns non-zero or after the item that called it returns (its value is ignored). */
  void (*fail)(const struct hybridscope_kernel_context* context, const char* message);
  void* driver;              /* the driver's own, do not touch */
  void* rank_state;          /* what rank_setup stored, else NULL */
} hybridscope_kernel_context;

/* Required. Per thread; 0 = ok. *state is passed to item and teardown. The context stays valid until
 * teardown returns. */
int hybridscope_kernel_setup(const hybridscope_kernel_context* context, void** state);
/* Required. One item; its result goes into the checksum. */
uint64_t hybridscope_kernel_item(void* state, int64_t item);
/* Optional. Per thread, after its last item. */
void hybridscope_kernel_teardown(void* state);
/* Optional. Per rank, before any thread's setup (context->thread = -1); 0 = ok. */
int hybridscope_kernel_rank_setup(const hybridscope_kernel_context* context, void** rank_state);
/* Optional. Per rank, after every thread's teardown. */
void hybridscope_kernel_rank_teardown(void* rank_state);

#ifdef __cplusplus
}
#endif

/* The ABI mark: defined once in the plug-in (a weak symbol, so a plug-in made of several files that
 * all include this header links). Define HYBRIDSCOPE_KERNEL_NO_ABI_MARK before including this header
 * in code that is not a plug-in (hybridscope itself). */
#ifndef HYBRIDSCOPE_KERNEL_NO_ABI_MARK
#ifdef __cplusplus
extern "C"
#endif
__attribute__((weak, visibility("default"))) const int hybridscope_kernel_abi = HYBRIDSCOPE_KERNEL_ABI;
#endif

#endif /* HYBRIDSCOPE_KERNEL_H */
