#pragma once
// Shared by the MPI tests.
#include <mpi.h>

#include "hybridscope/run/run.hpp"

namespace hybridscope::test_support {

// What the tests' MPI session provides (see mpi_test_main.cpp).
inline RunOptions serialized() {
  RunOptions options;
  options.provided_thread_level = MPI_THREAD_SERIALIZED;
  return options;
}

}  // namespace hybridscope::test_support
