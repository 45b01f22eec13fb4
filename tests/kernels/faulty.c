/* A test plug-in that fails on request, through args:
 *   "ok"                 every item returns item * 3 (the issue's minimal contract: setup, item, teardown)
 *   "setup_fail=T"       setup fails on thread T of every rank, with a message
 *   "rank_setup_fail=R"  rank setup fails on rank R
 *   "item_fail=I"        item I fails with a message
 *   "segv=I"             item I dereferences NULL
 *   "wait_stop=I"        item I creates the file $HYBRIDSCOPE_TEST_MARK, then waits for context->stopped()
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hybridscope/kernel.h"

typedef struct {
  const hybridscope_kernel_context* context;
  long item_fail, segv, wait_stop;
} faulty;

static long arg(const char* args, const char* key) {
  const char* at = strstr(args, key);
  return at ? strtol(at + strlen(key), NULL, 10) : -1;
}

int hybridscope_kernel_rank_setup(const hybridscope_kernel_context* context, void** rank_state) {
  *rank_state = NULL;
  if (arg(context->args, "rank_setup_fail=") == context->rank) {
    context->fail(context, "faulty: rank setup refused on purpose");
    return 1;
  }
  return 0;
}

int hybridscope_kernel_setup(const hybridscope_kernel_context* context, void** state) {
  if (arg(context->args, "setup_fail=") == context->thread) {
    char message[128];
    snprintf(message, sizeof message, "faulty: no resources on thread %d of rank %d", context->thread, context->rank);
    context->fail(context, message);
    return 3;
  }
  faulty* f = malloc(sizeof *f);
  if (!f) return 1;
  f->context = context;
  f->item_fail = arg(context->args, "item_fail=");
  f->segv = arg(context->args, "segv=");
  f->wait_stop = arg(context->args, "wait_stop=");
  *state = f;
  return 0;
}

uint64_t hybridscope_kernel_item(void* state, int64_t item) {
  faulty* f = state;
  if (item == f->item_fail) {
    f->context->fail(f->context, "faulty: this item cannot be computed");
    return 0;
  }
  if (item == f->segv) {
    volatile int* volatile nowhere = NULL;
    *nowhere = 1;
  }
  if (item == f->wait_stop) {
    const char* mark = getenv("HYBRIDSCOPE_TEST_MARK");
    FILE* file = mark ? fopen(mark, "w") : NULL;
    if (file) fclose(file);
    while (!f->context->stopped()) {
    }
    return 0;
  }
  return (uint64_t)item * 3u;
}

void hybridscope_kernel_teardown(void* state) { free(state); }
