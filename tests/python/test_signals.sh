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

# stop_run NAME SIGNAL CHECK_ARGS -- RUN_ARGS: starts a 2 x 2 run, signals its ranks once they have
# burnt a second of CPU, and checks the exit and the timeline.
stop_run() {
  local name=$1 signal=$2 check=() run=()
  shift 2
  while [ "$1" != "--" ]; do check+=("$1"); shift; done
  shift
  run=("$@")
  OMP_NUM_THREADS=2 "$mpiexec" -np 2 --oversubscribe --bind-to none "$exe" run "${run[@]}" \
    -o "$work/$name.h5" >"$work/out" 2>&1 &
  local launcher=$! ranks=""
  # Wait for evidence that items are running: the ranks have burnt a second of CPU.
  for _ in $(seq 600); do
    # Only this run's ranks: other tests may run hybridscope at the same time.
    ranks=$(pgrep -f "^$exe run .*$work/$name.h5" | tr '\n' ' ')
    [ -n "$ranks" ] && [ "$(cpu_ticks $ranks)" -ge "$(getconf CLK_TCK)" ] && break
    sleep 0.1
  done
  if [ -z "$ranks" ]; then
    echo "FAIL: $name: the ranks never started: $(cat "$work/out")"; status=1; return
  fi
  local sent code seconds expected
  sent=$(date +%s%N)
  # shellcheck disable=SC2086
  kill -s "$signal" $ranks
  wait "$launcher"
  code=$?
  seconds=$(( ($(date +%s%N) - sent) / 1000000000 ))
  expected=$((128 + $(kill -l "$signal")))
  [ "$seconds" -le 10 ] || { echo "FAIL: $name: exit took $seconds s"; status=1; }
  # mpiexec reports the first non-zero exit code of a rank.
  [ $code -eq $expected ] || { echo "FAIL: $name: exit code $code, expected $expected: $(cat "$work/out")"; status=1; }
  if ls -a "$work" | grep -q partial; then echo "FAIL: $name: a partial file was left"; status=1; fi
  /usr/bin/python3 "$here/check_timeline.py" "$work/$name.h5" --ranks 2 --threads 2 \
    --incomplete "SIG$signal" "${check[@]}" || { status=1; cat "$work/out"; }
  grep -q "warning: stopped early by SIG$signal" "$work/out" || { echo "FAIL: $name: no warning"; status=1; }
}

for signal in TERM INT USR1; do
  stop_run "fib_$signal" "$signal" -- --set items=200000 --set workload.n=27
done
# Items far longer than Slurm's kill wait are abandoned, not waited for.
stop_run spin_hour TERM --abandoned -- --set items=8 --set workload.kind=spin --set workload.seconds=3600
exit $status
