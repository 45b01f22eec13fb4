# Sanitizer and fuzzing builds, in a build directory of their own:
#   CC=clang CXX=clang++ cmake -S . -B build-asan -DHYBRIDSCOPE_SANITIZE=address,undefined -DHYBRIDSCOPE_FUZZ=ON
# HYBRIDSCOPE_SANITIZE goes to -fsanitize= on every target (library, executable, tests, bench);
# undefined behaviour then ends the process, so that it fails the test instead of scrolling past.
# HYBRIDSCOPE_FUZZ builds the libFuzzer targets of tests/fuzz (clang only).
set(HYBRIDSCOPE_SANITIZE "" CACHE STRING
    "Sanitizers for every target, as -fsanitize= takes them (e.g. address,undefined or thread); empty: none")
option(HYBRIDSCOPE_FUZZ "Build the libFuzzer targets of tests/fuzz (needs clang)" OFF)

if(HYBRIDSCOPE_SANITIZE)
  set(sanitizer_flags -fsanitize=${HYBRIDSCOPE_SANITIZE} -fno-omit-frame-pointer)
  if(HYBRIDSCOPE_SANITIZE MATCHES "(^|,)undefined(,|$)")
    list(APPEND sanitizer_flags -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${sanitizer_flags})
  add_link_options(${sanitizer_flags})
  # What every test passes to the sanitizer runtimes (as ENVIRONMENT_MODIFICATION), mpiexec's ranks
  # included. Open MPI, PMIx and hwloc leak at exit, which is not ours to fix: lsan.supp names only
  # those libraries, so a leak of our own still fails the test. Their leaks are matched by library
  # name only with the full (slow) malloc stacks: the fast unwinder stops inside Open MPI's plugins,
  # which are unloaded before the leak check and so have no name.
  set(HYBRIDSCOPE_SANITIZER_ENV
      "ASAN_OPTIONS=set:fast_unwind_on_malloc=0:detect_stack_use_after_return=1:check_initialization_order=1"
      "LSAN_OPTIONS=set:suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/lsan.supp:print_suppressions=0"
      "UBSAN_OPTIONS=set:print_stacktrace=1")
  set(HYBRIDSCOPE_SANITIZE_TIMEOUT_FACTOR 3 CACHE STRING
      "Sanitized builds: every test's timeout is multiplied by this")
endif()

if(HYBRIDSCOPE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HYBRIDSCOPE_FUZZ=ON needs clang (libFuzzer), but the C++ compiler is "
                        "${CMAKE_CXX_COMPILER_ID} (${CMAKE_CXX_COMPILER}). Configure a new build "
                        "directory with CC=clang CXX=clang++")
  endif()
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
  check_cxx_source_compiles([[
    #include <cstddef>
    #include <cstdint>
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }
  ]] HYBRIDSCOPE_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(NOT HYBRIDSCOPE_HAVE_LIBFUZZER)
    message(FATAL_ERROR "HYBRIDSCOPE_FUZZ=ON: ${CMAKE_CXX_COMPILER} cannot link -fsanitize=fuzzer. "
                        "On Debian: apt-get install libclang-rt-dev")
  endif()
endif()

# Gives every test of the calling directory the sanitizer options and a longer timeout; does nothing
# without HYBRIDSCOPE_SANITIZE. The tests of the gtest_discover_tests targets named in the arguments
# only exist at test time, so a ctest include file read after gtest's gives them the options.
function(hybridscope_sanitize_tests)
  if(NOT HYBRIDSCOPE_SANITIZE)
    return()
  endif()
  get_property(tests DIRECTORY PROPERTY TESTS)
  foreach(test IN LISTS tests)
    set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT_MODIFICATION ${HYBRIDSCOPE_SANITIZER_ENV})
    get_test_property(${test} TIMEOUT timeout)
    if(timeout)
      math(EXPR timeout "${timeout} * ${HYBRIDSCOPE_SANITIZE_TIMEOUT_FACTOR}")
      set_tests_properties(${test} PROPERTIES TIMEOUT ${timeout})
    endif()
  endforeach()
  foreach(target IN LISTS ARGN)
    set(include_file ${CMAKE_CURRENT_BINARY_DIR}/${target}_sanitize.cmake)
    file(WRITE ${include_file} "if(${target}_TESTS)\n  set_tests_properties(\${${target}_TESTS} "
         "PROPERTIES ENVIRONMENT_MODIFICATION [==[${HYBRIDSCOPE_SANITIZER_ENV}]==])\nendif()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${include_file})
  endforeach()
endfunction()
