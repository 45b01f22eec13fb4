# Sanitizer and fuzzing builds, in a build directory of their own:
#   CC=clang CXX=clang++ cmake -S . -B build-asan -DHYBRIDSCOPE_SANITIZE=address,undefined -DHYBRIDSCOPE_FUZZ=ON
# HYBRIDSCOPE_SANITIZE goes to -fsanitize= on every target (library, executable, tests, bench);
# undefined behaviour then ends the process, so that it fails the test instead of scrolling past.
# HYBRIDSCOPE_FUZZ builds the libFuzzer targets of tests/fuzz (clang only).
set(HYBRIDSCOPE_SANITIZE "" CACHE STRING
    "Sanitizers for every target, as -fsanitize= takes them (e.g. address,undefined or thread); empty: none")
option(HYBRIDSCOPE_FUZZ "Build the libFuzzer targets of tests/fuzz (needs clang)" OFF)

# ThreadSanitizer: a race ends the process (halt_on_error), so that it fails the test; tsan.supp
# names only Open MPI's, PMIx's and hwloc's uninstrumented internals. libomp is not instrumented
# either, so its barriers and joins look like no synchronisation at all: LLVM's OMPT tool Archer
# (libarcher.so, beside libomp in Debian's libomp-14-dev) tells TSan about them, and
# ignore_noninstrumented_modules (which Archer asks for) keeps TSan's interceptors quiet when the
# caller is one of those libraries. It needs clang with LLVM's libomp; TSan cannot see into GCC's
# libgomp.
macro(hybridscope_tsan_env)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HYBRIDSCOPE_SANITIZE=thread needs clang with LLVM's libomp (TSan cannot see "
                        "into GCC's libgomp). Configure a new build directory with CC=clang CXX=clang++")
  endif()
  get_filename_component(compiler_dir ${CMAKE_CXX_COMPILER} REALPATH)
  get_filename_component(compiler_dir ${compiler_dir} DIRECTORY)
  find_library(HYBRIDSCOPE_ARCHER archer HINTS ${compiler_dir}/../lib NO_DEFAULT_PATH)
  if(NOT HYBRIDSCOPE_ARCHER)
    message(FATAL_ERROR "HYBRIDSCOPE_SANITIZE=thread: libarcher.so (LLVM's OpenMP annotations for "
                        "TSan) not found beside ${compiler_dir}. On Debian: apt-get install libomp-dev")
  endif()
  list(APPEND HYBRIDSCOPE_SANITIZER_ENV
       "TSAN_OPTIONS=set:suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/tsan.supp:halt_on_error=1:ignore_noninstrumented_modules=1:second_deadlock_stack=1"
       "OMP_TOOL_LIBRARIES=set:${HYBRIDSCOPE_ARCHER}")
endmacro()

if(HYBRIDSCOPE_SANITIZE)
  # LeakSanitizer: tests/sanitizers/keep_loaded.c (see there) keeps Open MPI's plugins loaded until
  # the leak check, so that their leaks keep their library names. Made before the sanitizer flags
  # below apply to every target: it is also preloaded into mpiexec, bash and python.
  if(HYBRIDSCOPE_SANITIZE MATCHES "(^|,)address(,|$)")
    add_library(hybridscope_keep_loaded SHARED ${PROJECT_SOURCE_DIR}/tests/sanitizers/keep_loaded.c)
    set_target_properties(hybridscope_keep_loaded PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/sanitizers)
    set(keep_loaded "LD_PRELOAD=set:${PROJECT_BINARY_DIR}/sanitizers/libhybridscope_keep_loaded.so")
  endif()
  set(sanitizer_flags -fsanitize=${HYBRIDSCOPE_SANITIZE} -fno-omit-frame-pointer)
  if(HYBRIDSCOPE_SANITIZE MATCHES "(^|,)undefined(,|$)")
    list(APPEND sanitizer_flags -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${sanitizer_flags})
  add_link_options(${sanitizer_flags})
  # What every test passes to the sanitizer runtimes (as ENVIRONMENT_MODIFICATION), mpiexec's ranks
  # included. Open MPI, PMIx and hwloc leak at exit, which is not ours to fix: lsan.supp names only
  # those libraries, so a leak of our own still fails the test. The malloc stacks are the fast
  # (frame-pointer) ones, which stop at the first frame of a library built without frame pointers:
  # enough to name the library, and a quarter of the CPU time of full stacks in MPI start-up.
  set(HYBRIDSCOPE_SANITIZER_ENV
      "ASAN_OPTIONS=set:detect_stack_use_after_return=1:check_initialization_order=1"
      "LSAN_OPTIONS=set:suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/lsan.supp:print_suppressions=0"
      "UBSAN_OPTIONS=set:print_stacktrace=1"
      # UCX's memory hooks patch mmap and munmap where libraries call them; LeakSanitizer's tracer
      # then crashed at exit ("Tracer caught signal 11") in 6 of 8 runs of test_counter_mpi.osc_ucx
      # once HDF5's libraries were no longer loaded into every process. Off: 8 of 8 pass.
      "UCX_MEM_EVENTS=set:no"
      ${keep_loaded})
  if(HYBRIDSCOPE_SANITIZE MATCHES "(^|,)thread(,|$)")
    hybridscope_tsan_env()
  endif()
  set(HYBRIDSCOPE_SANITIZE_TIMEOUT_FACTOR 3 CACHE STRING
      "Sanitized builds: every test's timeout is multiplied by this")
  # Sanitized code runs 2-3 times slower and spends a second or more in the leak check at exit:
  # tests that bound a duration (CPU burnt before a signal, "exits within 10 s") scale it by this.
  list(APPEND HYBRIDSCOPE_SANITIZER_ENV
       "HYBRIDSCOPE_TEST_TIME_FACTOR=set:${HYBRIDSCOPE_SANITIZE_TIMEOUT_FACTOR}")
  # The same environment, for sanitized runs outside ctest (scripts/sanitize.sh sources it).
  set(env_script "")
  foreach(entry IN LISTS HYBRIDSCOPE_SANITIZER_ENV)
    string(REGEX REPLACE "^([^=]+)=set:(.*)$" "export \\1='\\2'\n" line "${entry}")
    string(APPEND env_script "${line}")
  endforeach()
  file(WRITE ${PROJECT_BINARY_DIR}/sanitizers/env.sh "${env_script}")
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
# CMake 3.25 sets test properties only in the directory that added the tests: every CMakeLists.txt
# that adds tests (tests/, tests/fuzz/) calls this last; the check below makes a sanitized configure
# fail if one does not.
function(hybridscope_sanitize_tests)
  if(NOT HYBRIDSCOPE_SANITIZE)
    return()
  endif()
  set_property(DIRECTORY PROPERTY HYBRIDSCOPE_TESTS_SANITIZED TRUE)
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
    # One process per test costs a sanitizer start and leak check each (0.5 s, 400 unit tests, on
    # 2 cores): the same tests once more in one process, label unit-batch, which scripts/sanitize.sh
    # runs instead of label unit. OMP_NUM_THREADS as tests/CMakeLists.txt gives the unit tests.
    add_test(NAME ${target}.all COMMAND ${target})
    set_tests_properties(${target}.all PROPERTIES LABELS unit-batch TIMEOUT 900
      ENVIRONMENT_MODIFICATION "${HYBRIDSCOPE_SANITIZER_ENV};OMP_NUM_THREADS=set:3")
    set(include_file ${CMAKE_CURRENT_BINARY_DIR}/${target}_sanitize.cmake)
    file(WRITE ${include_file} "if(${target}_TESTS)\n  set_tests_properties(\${${target}_TESTS} "
         "PROPERTIES ENVIRONMENT_MODIFICATION [==[${HYBRIDSCOPE_SANITIZER_ENV}]==])\nendif()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${include_file})
  endforeach()
endfunction()

# At the end of the top-level CMakeLists.txt, in a sanitized build: every directory that added tests
# gave them the sanitizer options, so that no test (the fuzz targets were one) runs without them.
function(hybridscope_check_sanitized_tests dir)
  get_property(tests DIRECTORY ${dir} PROPERTY TESTS)
  get_property(sanitized DIRECTORY ${dir} PROPERTY HYBRIDSCOPE_TESTS_SANITIZED)
  if(tests AND NOT sanitized)
    message(FATAL_ERROR "HYBRIDSCOPE_SANITIZE: the tests of ${dir} (${tests}) get no sanitizer options: "
                        "call hybridscope_sanitize_tests() at the end of its CMakeLists.txt")
  endif()
  get_property(subdirectories DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdirectory IN LISTS subdirectories)
    hybridscope_check_sanitized_tests(${subdirectory})
  endforeach()
endfunction()
if(HYBRIDSCOPE_SANITIZE)
  cmake_language(DEFER CALL hybridscope_check_sanitized_tests ${CMAKE_CURRENT_SOURCE_DIR})
endif()
