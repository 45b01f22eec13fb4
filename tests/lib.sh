# Shared by the shell tests (tests/*/test_*.sh and tests/faults/common.sh): source it first.
#   time_factor        how much slower this build runs: sanitized builds 2-3 times
#                      (cmake/sanitizers.cmake sets HYBRIDSCOPE_TEST_TIME_FACTOR); every bound on a
#                      duration scales with it
#   mpi_flags          the mpiexec flags of the tests
#   enter_work_dir     makes $work, a private folder removed at exit, the current directory (default
#                      timeline names land there)
#   fail / pass TEXT   record one check; $failures counts the failed ones
#   checksum_of FILE   the checksum in a run's summary saved in FILE
#   wait_until SECONDS COMMAND...   runs COMMAND every 50 ms until it succeeds (0) or SECONDS pass (1):
#                      a bound on a hang, never a sleep of a guessed length
time_factor=${HYBRIDSCOPE_TEST_TIME_FACTOR:-1}
mpi_flags=(--oversubscribe --bind-to none)
failures=0

enter_work_dir() {
  work=$(mktemp -d)
  # Cases run as nobody make directories that their owner cannot write into.
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
  cd "$work" || exit 1
}

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
checksum_of() { sed -n 's/^checksum *\([0-9a-f]\{16\}\).*/\1/p' "$1"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

wait_until() {
  local limit=$(( $(now_ms) + $1 * 1000 ))
  shift
  until "$@"; do
    [ "$(now_ms)" -lt $limit ] || return 1
    sleep 0.05
  done
}
