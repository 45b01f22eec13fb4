/* An irregular C kernel: item i computes row i of the Mandelbrot set and returns the sum of the
 * escape counts of the row. Rows through the set cost up to max_iter per pixel, rows outside it a
 * few: static splits of the rows are imbalanced, as real irregular work is.
 * args: "width=W height=H max_iter=M" (defaults 800 600 500); run items = height. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hybridscope/kernel.h"

typedef struct {
  int width, height, max_iter;
} mandelbrot;

int hybridscope_kernel_setup(const hybridscope_kernel_context* context, void** state) {
  mandelbrot* m = malloc(sizeof *m);
  if (!m) return 1;
  m->width = 800;
  m->height = 600;
  m->max_iter = 500;
  const char* args = context->args;
  if (args[0] && sscanf(args, "width=%d height=%d max_iter=%d", &m->width, &m->height, &m->max_iter) != 3) {
    free(m);
    if (context->abi_version >= 1 && context->fail)
      context->fail(context, "mandelbrot: args must be \"width=W height=H max_iter=M\"");
    return 1;
  }
  if (m->width < 1 || m->height < 1 || m->max_iter < 1) {
    free(m);
    context->fail(context, "mandelbrot: width, height and max_iter must be positive");
    return 1;
  }
  *state = m;
  return 0;
}

uint64_t hybridscope_kernel_item(void* state, int64_t item) {
  const mandelbrot* m = state;
  const int row = (int)(item % m->height);
  const double y = -1.2 + 2.4 * row / m->height;
  uint64_t sum = 0;
  for (int col = 0; col < m->width; ++col) {
    const double x = -2.1 + 3.0 * col / m->width;
    double zr = 0.0, zi = 0.0;
    int n = 0;
    while (n < m->max_iter && zr * zr + zi * zi <= 4.0) {
      const double t = zr * zr - zi * zi + x;
      zi = 2.0 * zr * zi + y;
      zr = t;
      ++n;
    }
    sum += (uint64_t)n;
  }
  return sum;
}

void hybridscope_kernel_teardown(void* state) { free(state); }
