#!/usr/bin/env bash
# The sanitizer and fuzzing runs of issue 6 (docs/reliability.md, "Tools"); scripts/test.sh calls it
# in CI, and it runs by hand the same way. Idempotent: installs what is missing (the clang packages
# of DEVELOPERS.md), reuses the build directories, and exits non-zero if anything fails.
#  1. build-asan: clang with AddressSanitizer + UndefinedBehaviorSanitizer and the libFuzzer
#     targets; the whole ctest suite except the Slurm test (label slurm: it starts a real Slurm
#     cluster whose daemons are not ours) and the multi-node cluster's (label multinode: its
#     counters run here at one node, test_counter_mpi.osc_none), the fuzz tests included.
#  2. build-tsan: clang with ThreadSanitizer, LLVM's libomp and its TSan tool Archer; the threaded
#     code: unit tests, the MPI tests at 1 rank, and the executable on every workload kind.
# Environment knobs:
#   HYBRIDSCOPE_FUZZ_SECONDS    seconds each fuzz target runs (default 30)
#   HYBRIDSCOPE_SANITIZE_PARTS  which parts run (default "asan tsan")
#   HYBRIDSCOPE_SANITIZE_JOBS   parallel build and test jobs (default: the number of cores)
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds=${HYBRIDSCOPE_FUZZ_SECONDS:-30}
parts=${HYBRIDSCOPE_SANITIZE_PARTS:-asan tsan}
jobs=${HYBRIDSCOPE_SANITIZE_JOBS:-$(nproc)}
# -O1 as the sanitizer manuals advise: 40 % less compile time than -O2, and line tables are all
# that reports need. NDEBUG as in the release build: toml++ 3.3.0's internal asserts fire on
# malformed decks (`[ = 1`) that its release build reports as a syntax error.
build_flags="-O1 -gline-tables-only -DNDEBUG"
# Open MPI refuses to start as root (CI, containers) unless told twice.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

failed=()
# step NAME: starts a phase; the time each phase took is printed with the next one.
step_name="" step_start=$SECONDS
step() {
  [ -z "$step_name" ] || printf '=== sanitize: %s took %d s\n' "$step_name" $((SECONDS - step_start))
  step_name=$* step_start=$SECONDS
  printf '\n=== sanitize: %s (%s)\n' "$*" "$(date +%T)"
}
# check NAME COMMAND...: runs a test command; a failure is recorded and the other runs go on.
check() {
  local name=$1
  shift
  "$@" || failed+=("$name")
}

# configure DIR CMAKE_ARGS...: a clang build directory; the compiler is fixed at its first configure.
configure() {
  local dir=$1
  shift
  mkdir -p "$dir"
  CC=clang CXX=clang++ cmake -S . -B "$dir" -DHYBRIDSCOPE_BUILD_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$build_flags" \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$build_flags" "$@" >"$dir/configure.log" \
    || { cat "$dir/configure.log"; return 1; }
}

asan() {
  step "build-asan: configure and build (address,undefined + libFuzzer)"
  configure build-asan -DHYBRIDSCOPE_SANITIZE=address,undefined -DHYBRIDSCOPE_FUZZ=ON \
    "-DHYBRIDSCOPE_FUZZ_SECONDS=$fuzz_seconds"
  cmake --build build-asan -j "$jobs"
  # The unit tests in one process (label unit-batch) instead of one process each (label unit).
  step "build-asan: ctest without the Slurm test (fuzz targets ${fuzz_seconds} s each)"
  # kernels.plugin compares against a reference that loads the (instrumented) example plug-ins into
  # the system's uninstrumented python3, and its Fortran example links GCC's ASan runtime, which
  # cannot share a process with clang's: it runs in the normal suite; the plug-in loader's failure
  # paths (kernels.plugin-failures) and Python kernels run here.
  # Also left to the normal suite, to keep CI under its budget: the tests that repeat code paths the
  # others already take here, many times over (cli.checksums: 17 launches of one input in different
  # layouts; study: a dozen runs of built-in kernels; the randomized faults.random_signals and
  # test_stress_mpi). They took a third of this suite's time.
  check "ASan+UBSan ctest" ctest --test-dir build-asan -LE '^(slurm|unit|multinode)$' \
    -E '^(kernels\.plugin|cli\.checksums|study|faults\.random_signals|test_stress_mpi)$' --no-tests=error \
    --output-on-failure -j "$jobs"
}

# TSan cannot see into GCC's libgomp: make sure the build took LLVM's libomp.
check_libomp() {
  local libs
  libs=$(ldd build-tsan/bin/hybridscope)
  if ! grep -q 'libomp\.so' <<<"$libs" || grep -q 'libgomp' <<<"$libs"; then
    echo "sanitize: build-tsan/bin/hybridscope is not linked with LLVM's libomp:"
    echo "$libs"
    return 1
  fi
}

# The executable as a singleton with 3 threads, once per workload kind, plus the MPI RMA counter
# (whose progress thread shares the MPI calls with the hand-out). Each run is small: TSan
# watches every access, and the timing of the items does not matter here.
tsan_runs() {
  local out kind status=0
  out=$(mktemp -d)
  local -a runs=(
    "fib --set items=48 --set workload.n=18"
    "spin --set items=24 --set workload.seconds=0.002"
    "sleep --set items=24 --set workload.seconds=0.002"
    "file_io --set items=12 --set workload.bytes=65536 --set workload.dir=$out"
    "triad --set items=12 --set workload.elements=65536"
    "gil --set items=12 --set workload.seconds=0.004 --set workload.switch_interval=0.001"
    "irregular --set items=48 --set workload.seconds=0.0005"
    "fib --set items=48 --set workload.n=18 --set counter=rma --set strategy=guided"
    "command --set items=24 --set workload.command=\"echo\""
    "command --set items=12 --set workload.command=\"exit\" --set workload.retries=1"
  )
  local i=0 run
  for run in "${runs[@]}"; do
    kind=${run%% *}
    i=$((i + 1))
    # shellcheck disable=SC2086  # run holds separate arguments, without spaces inside any of them
    if OMP_NUM_THREADS=3 timeout 300 build-tsan/bin/hybridscope run --set "workload.kind=$kind" \
         ${run#* } -o "$out/$i-$kind.h5" >"$out/$i-$kind.log" 2>&1; then
      echo "ok: TSan, hybridscope run ${run}, 3 threads"
    else
      echo "FAIL: TSan, hybridscope run ${run}, 3 threads:"
      cat "$out/$i-$kind.log"
      status=1
    fi
  done
  rm -rf "$out"
  return $status
}

tsan() {
  step "build-tsan: configure and build (thread, libomp + Archer)"
  configure build-tsan -DHYBRIDSCOPE_SANITIZE=thread -DOpenMP_CXX_FLAGS=-fopenmp=libomp
  # Only what the TSan runs use: the rest is single-threaded or launches these.
  cmake --build build-tsan -j "$jobs" --target hybridscope hybridscope_unit_tests test_run_mpi \
    test_timeline_mpi test_counter_mpi test_progress_mpi hybridscope_progress_unit_tests
  check_libomp
  step "build-tsan: unit tests (3 threads), in one process"
  check "TSan unit tests" ctest --test-dir build-tsan -L unit-batch --no-tests=error --output-on-failure
  # At 1 rank x 2-3 threads, the counter tests at 3 ranks (its RMA progress thread), and the progress
  # reporter's helper thread beside threads that publish their counts.
  step "build-tsan: MPI tests"
  check "TSan MPI tests" ctest --test-dir build-tsan --no-tests=error \
    -R '^(test_(run|timeline)_mpi\.np1\.nt[23]|test_counter_mpi\..*|test_progress_mpi\..*)$' --output-on-failure
  step "build-tsan: the executable on every workload kind"
  # The environment the build's tests get (cmake/sanitizers.cmake): TSan's options and Archer.
  # shellcheck source=/dev/null
  source build-tsan/sanitizers/env.sh
  check "TSan runs of the executable" tsan_runs
}

bash scripts/install-packages.sh
for part in $parts; do
  case $part in
    asan) asan ;;
    tsan) tsan ;;
    *) echo "sanitize: unknown part '$part' in HYBRIDSCOPE_SANITIZE_PARTS (accepted: asan, tsan)"; exit 2 ;;
  esac
done
step "done"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'sanitize: FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "sanitize: all sanitizer runs passed"
