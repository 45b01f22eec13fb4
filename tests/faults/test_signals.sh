#!/usr/bin/env bash
# SIGTERM, SIGINT and SIGUSR1 mid-run (as Slurm, Ctrl-C and sbatch --signal deliver them, to every
# task): the run stops handing out work, writes a valid timeline marked incomplete with every
# finished item, removes file_io's scratch files, and exits within seconds with 128 + the signal.
# Usage: test_signals.sh HYBRIDSCOPE MPIEXEC CHECK_TIMELINE
set -u
exe=$1 mpiexec=$2 check_timeline=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
source "$(dirname "$0")/common.sh"

# stop_run NAME SIGNAL CHECK_ARGS -- RUN_ARGS: signals the ranks of a 2 x 2 run once they have burnt
# a second of CPU, and checks the exit and the timeline.
stop_run() {
  local name=$1 signal=$2 check=()
  shift 2
  while [ "$1" != "--" ]; do check+=("$1"); shift; done
  shift
  start_run "$work/$name" "$@"
  if ! wait_for_cpu "$work/$name" $(($(getconf CLK_TCK) * time_factor)); then
    echo "FAIL: $name: the ranks never started: $(cat "$work/$name.log")"; status=1; return
  fi
  # shellcheck disable=SC2086
  kill -s "$signal" $ranks
  wait_launcher
  local expected=$((128 + $(kill -l "$signal")))
  [ "$seconds" -le $exit_bound ] || { echo "FAIL: $name: exit took $seconds s"; status=1; }
  # mpiexec reports the first non-zero exit code of a rank.
  [ $code -eq $expected ] || { echo "FAIL: $name: exit code $code, expected $expected: $(cat "$work/$name.log")"; status=1; }
  no_partial_files || { echo "FAIL: $name: a partial file was left"; status=1; }
  /usr/bin/python3 "$check_timeline" "$work/$name.h5" --ranks 2 --threads 2 \
    --incomplete "SIG$signal" "${check[@]}" || { status=1; cat "$work/$name.log"; }
  grep -q "warning: stopped early by SIG$signal" "$work/$name.log" || { echo "FAIL: $name: no warning"; status=1; }
}

for signal in TERM INT USR1; do
  stop_run "fib_$signal" "$signal" -- --set items=200000 --set workload.n=27
done
# file_io's scratch files go with the run, even when it is stopped mid-item.
mkdir "$work/scratch"
stop_run file_io TERM --min-items 0 -- --set items=100000 --set workload.kind=file_io \
  --set workload.bytes=1048576 --set "workload.dir=$work/scratch"
[ -z "$(ls -A "$work/scratch")" ] || { echo "FAIL: file_io left scratch files: $(ls -AR "$work/scratch")"; status=1; }
# Items far longer than Slurm's kill wait are abandoned, not waited for.
stop_run spin_hour TERM --abandoned -- --set items=8 --set workload.kind=spin --set workload.seconds=3600
exit $status
