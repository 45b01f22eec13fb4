#!/usr/bin/env bash
# One rank killed with SIGKILL (the OOM killer, a node failure), mid-run and while the timeline is
# written. Every time: the job ends within seconds with a non-zero exit and a message naming the dead
# rank, no rank is left running, nothing appears at the output path, and the user's earlier
# timeline, even the one the killed run was told to replace with --force, is intact.
# Mid-run no partial file is left (it only exists while the timeline is written). Killed during the
# write, the hidden `.NAME.partial-PID` beside the output may remain: nobody alive can remove it.
# The test reports it, and checks that it is the only thing left and that it is not a timeline
# that claims to be complete.
# Usage: test_sigkill.sh HYBRIDSCOPE MPIEXEC CHECK_TIMELINE
set -u
exe=$1 mpiexec=$2 check_timeline=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
source "$(dirname "$0")/common.sh"
fail() { echo "FAIL: $*"; status=1; }  # this test counts in $status, not lib.sh's $failures

# An earlier, complete run.
start_run "$work/earlier" --set items=64 --set workload.n=20
wait_launcher
[ $code -eq 0 ] || fail "the earlier run failed: $(cat "$work/earlier.log")"
before=$(sha256sum <"$work/earlier.h5")

# --- mid-run: 2 ranks x 2 threads, killed once items are under way (wait_for_cpu) ---------------
for victim in 0 1; do
  start_run "$work/earlier" --set items=200000 --set workload.n=27 --force
  wait_for_cpu "$work/earlier" "$items_ticks" || { fail "the ranks never started"; continue; }
  # shellcheck disable=SC2086
  pid=$(rank_pid "$victim" $ranks)
  kill -KILL "$pid"
  wait_launcher
  [ "$seconds" -le $exit_bound ] || fail "rank $victim killed: the job took $seconds s to end"
  [ $code -ne 0 ] || fail "rank $victim killed: exit code 0"
  grep -q "rank $victim .*signal 9" "$work/earlier.log" || fail "rank $victim killed: no message naming it: $(cat "$work/earlier.log")"
  no_ranks_left "$work/earlier.h5" || fail "rank $victim killed: ranks still running: $(ranks_of "$work/earlier.h5")"
  no_partial_files || fail "rank $victim killed: a partial file was left: $(ls -a "$work")"
  [ "$(sha256sum <"$work/earlier.h5")" = "$before" ] || fail "rank $victim killed: the earlier timeline changed"
  [ $status -ne 0 ] || echo "ok: rank $victim killed mid-run: exit $code after $seconds s"
done
/usr/bin/python3 "$check_timeline" "$work/earlier.h5" --ranks 2 --threads 2 || status=1

# --- during the write: 3 ranks, each held inside the timeline write (the partial file created) by
# the test hook HYBRIDSCOPE_TEST_HOLD_WRITE for far longer than the test waits -----------------
# The summary is printed before the write begins, and the partial file is created by the write:
# both together mean that every rank is inside the write (the empty probe file that the run makes
# and removes at its start, to check the directory, is older than the summary).
in_write() { grep -q '^checksum ' "$1" && ls -a "$2" | grep -q '^\.out\.h5\.partial-'; }

# killed_in_write VICTIM FORCE: one run into its own directory, which already holds out.h5 if FORCE
# is yes (the run replaces it with --force), and the user's other file.
killed_in_write() {
  local victim=$1 force=$2 dir="$work/write-$1-$2" log="$work/write-$1-$2.log" expected kept left
  mkdir "$dir"
  echo "the user's other file" >"$dir/mine.h5"
  [ "$force" = no ] || cp "$work/earlier.h5" "$dir/out.h5"
  expected=$(cd "$dir" && sha256sum -- *.h5)
  local name="rank $victim killed in the write (--force: $force)"
  HYBRIDSCOPE_TEST_HOLD_WRITE=$((3600 * time_factor)) start_job 3 1 "$log" --set items=30 --set workload.n=20 \
    -o "$dir/out.h5" $([ "$force" = yes ] && echo --force)
  if ! wait_until "$wait_bound" in_write "$log" "$dir"; then
    fail "$name: the ranks never reached the write: $(cat "$log")"
    ranks=$(ranks_of "$dir/out.h5"); wait_launcher 0; return
  fi
  ranks=$(ranks_of "$dir/out.h5")
  [ "$(wc -w <<<"$ranks")" -eq 3 ] || fail "$name: $(wc -w <<<"$ranks") ranks alive in the write, expected 3"
  # shellcheck disable=SC2086
  kill -KILL "$(rank_pid "$victim" $ranks)"
  wait_launcher
  [ "$seconds" -le $exit_bound ] || fail "$name: the job took $seconds s to end"
  [ $code -ne 0 ] || fail "$name: exit code 0"
  grep -q "rank $victim .*signal 9" "$log" || fail "$name: no message naming the rank: $(cat "$log")"
  no_ranks_left "$dir/out.h5" || fail "$name: ranks still running: $(ranks_of "$dir/out.h5")"
  # Nothing new at the final path (a file there claiming complete = 1 would be a lie), the user's
  # files unchanged.
  kept=$(cd "$dir" && sha256sum -- *.h5)  # the user's files (not the run's status file)
  [ "$kept" = "$expected" ] || fail "$name: the files at the output path changed: $kept"
  [ "$force" = yes ] || [ ! -e "$dir/out.h5" ] || fail "$name: a file appeared at the output path"
  # What is left beside them: at most the hidden partial file, which holds no complete timeline, and
  # the status file.
  left=$(ls -A "$dir" | grep -v '^\(mine\.h5\|out\.h5\)$' | xargs)
  local partial
  for partial in $left; do
    case $partial in
      .out.h5.partial-[0-9]*) ;;
      out.h5.status.json) continue ;;  # the run's status file, never ended: watch calls it stalled
      *) fail "$name: an unexpected file was left: $partial" ;;
    esac
    if /usr/bin/python3 - "$dir/$partial" <<'PY' 2>/dev/null; then
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    sys.exit(0 if f.attrs.get("complete") == 1 else 1)
PY
      fail "$name: the partial file $partial claims to be a complete timeline"
    fi
  done
  [ $status -ne 0 ] || echo "ok: $name: exit $code after $seconds s; left beside the output:" \
    "${left:-nothing}$(for p in $left; do stat -c ' (%s bytes)' "$dir/$p"; done)"
}

killed_in_write 1 no
killed_in_write 0 yes
killed_in_write 0 no
killed_in_write 2 yes
exit $status
