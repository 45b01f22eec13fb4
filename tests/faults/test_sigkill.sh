#!/usr/bin/env bash
# One rank killed with SIGKILL mid-run (the OOM killer, a node failure): the job ends within seconds
# with a non-zero exit and a message naming the dead rank, leaves no partial file, and the user's
# earlier timeline, even the one the killed run was told to replace with --force, is intact.
# Usage: test_sigkill.sh HYBRIDSCOPE MPIEXEC CHECK_TIMELINE
set -u
exe=$1 mpiexec=$2 check_timeline=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }
source "$(dirname "$0")/common.sh"

# An earlier, complete run.
start_run "$work/earlier" --set items=64 --set workload.n=20
wait "$launcher" || fail "the earlier run failed: $(cat "$work/earlier.log")"
before=$(sha256sum <"$work/earlier.h5")

for victim in 0 1; do
  start_run "$work/earlier" --set items=200000 --set workload.n=27 --force
  wait_for_cpu "$work/earlier" $(($(getconf CLK_TCK) * time_factor)) || { fail "the ranks never started"; continue; }
  # The rank whose MPI rank is $victim (the pids are in no particular order).
  pid=$(for p in $ranks; do
          grep -qz "^OMPI_COMM_WORLD_RANK=$victim$" "/proc/$p/environ" && echo "$p"; done)
  kill -KILL "$pid"
  wait_launcher
  [ "$seconds" -le $exit_bound ] || fail "rank $victim killed: the job took $seconds s to end"
  [ $code -ne 0 ] || fail "rank $victim killed: exit code 0"
  grep -q "rank $victim .*signal 9" "$work/earlier.log" || fail "rank $victim killed: no message naming it: $(cat "$work/earlier.log")"
  no_partial_files || fail "rank $victim killed: a partial file was left: $(ls -a "$work")"
  [ "$(sha256sum <"$work/earlier.h5")" = "$before" ] || fail "rank $victim killed: the earlier timeline changed"
  [ $status -ne 0 ] || echo "ok: rank $victim killed: exit $code after $seconds s"
done
/usr/bin/python3 "$check_timeline" "$work/earlier.h5" --ranks 2 --threads 2 || status=1
exit $status
