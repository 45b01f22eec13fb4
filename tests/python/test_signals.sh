#!/usr/bin/env bash
# SIGTERM, SIGINT and SIGUSR1 mid-run (as Slurm, Ctrl-C and sbatch --signal deliver them, to every
# task): the run stops handing out work, writes a valid timeline marked incomplete with every
# finished item, and exits within seconds with 128 + the signal number.
# Usage: test_signals.sh HYBRIDSCOPE MPIEXEC
set -u
exe=$1 mpiexec=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
status=0

# CPU seconds (in clock ticks) used so far by the given processes.
cpu_ticks() {
  local total=0 pid fields
  for pid in "$@"; do
    fields=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    set -- $fields
    total=$((total + ${12} + ${13}))  # utime and stime (fields 14 and 15 of the full line)
  done
  echo $total
}

for signal in TERM INT USR1; do
  OMP_NUM_THREADS=2 setsid "$mpiexec" -np 2 --oversubscribe --bind-to none "$exe" run \
    --set items=200000 --set workload.n=27 -o "$work/$signal.h5" >"$work/out" 2>&1 &
  launcher=$!
  # Wait for evidence of finished items: the ranks have burnt a second of CPU on fib items.
  ranks=""
  for _ in $(seq 600); do
    ranks=$(pgrep -f "^$exe run" | tr '\n' ' ')
    [ -n "$ranks" ] && [ "$(cpu_ticks $ranks)" -ge "$(getconf CLK_TCK)" ] && break
    sleep 0.1
  done
  [ -n "$ranks" ] || { echo "FAIL: $signal: the ranks never started: $(cat "$work/out")"; status=1; continue; }
  sent=$(date +%s%N)
  # shellcheck disable=SC2086
  kill -s "$signal" $ranks
  wait "$launcher"
  code=$?
  seconds=$(( ($(date +%s%N) - sent) / 1000000000 ))
  expected=$((128 + $(kill -l "$signal")))
  if [ "$seconds" -gt 10 ]; then
    echo "FAIL: SIG$signal: exit took $seconds s"; status=1
  fi
  # mpiexec reports the first non-zero rank exit code.
  if [ $code -ne $expected ]; then
    echo "FAIL: SIG$signal: exit code $code, expected $expected: $(cat "$work/out")"; status=1
  fi
  if ls -a "$work" | grep -q partial; then
    echo "FAIL: SIG$signal: a partial file was left"; status=1
  fi
  /usr/bin/python3 "$here/check_timeline.py" "$work/$signal.h5" --ranks 2 --threads 2 \
    --incomplete "SIG$signal" || { status=1; cat "$work/out"; }
  grep -q "warning: stopped early by SIG$signal" "$work/out" || { echo "FAIL: SIG$signal: no warning"; status=1; }
done
exit $status
