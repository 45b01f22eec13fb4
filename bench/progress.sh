#!/usr/bin/env bash
# What progress while running costs (issue 18, docs/benchmarks.md "Progress while running"): the
# same job with progress on (as `hybridscope run` does by default: per-thread counts after every item,
# rank 0's helper thread, the status file once a second) and off (HYBRIDSCOPE_TEST_NO_PROGRESS=1:
# no counts, no thread, no file). Short items, so that a cost per item would show: fib(N) items
# (tens of microseconds) on 2 ranks x 1 thread (dynamic and static-block) and 1 rank x 2 threads.
# Each REPEATS times, on and off interleaved, so that a busy moment of a shared machine hits both
# alike; the best and the median items/s of each count.
# Usage: bench/progress.sh BUILD_DIR [ITEMS=200000] [REPEATS=7] [N=18]
set -euo pipefail
items=${2:-200000}
repeats=${3:-7}
n=${4:-18}
source "$(dirname "$0")/common.sh"
bench_setup "$1"

# items_per_second MODE NP NT STRATEGY: one run's items/s from its summary.
items_per_second() {
  local mode=$1 np=$2 nt=$3 strategy=$4 env=()
  [ "$mode" = on ] || env=(-x HYBRIDSCOPE_TEST_NO_PROGRESS=1)
  OMP_NUM_THREADS=$nt mpiexec --oversubscribe --bind-to none -np "$np" "${env[@]}" "$exe" run \
    --set workload.n="$n" --set items="$items" --set chunk=16 --set strategy="\"$strategy\"" \
    -o "run-$RANDOM$RANDOM.h5" | sed -n 's/^items\/s *//p'
  rm -f run-*.h5 run-*.h5.status.json
}

# best and median of the numbers on stdin
stats() { sort -g | awk '{v[NR] = $1} END {printf "%.1f %.1f", v[NR], v[int((NR + 1) / 2)]}'; }

printf '%-24s %12s %12s %12s %12s %8s %8s\n' layout "on best" "off best" "on median" "off median" "best" "median"
for case in "2 1 dynamic" "2 1 static-block" "1 2 dynamic"; do
  read -r np nt strategy <<<"$case"
  on=() off=()
  for ((i = 0; i < repeats; ++i)); do
    off+=("$(items_per_second off "$np" "$nt" "$strategy")")
    on+=("$(items_per_second on "$np" "$nt" "$strategy")")
  done
  read -r on_best on_median <<<"$(printf '%s\n' "${on[@]}" | stats)"
  read -r off_best off_median <<<"$(printf '%s\n' "${off[@]}" | stats)"
  printf '%-24s %12s %12s %12s %12s %+7.2f%% %+7.2f%%\n' "$np x $nt $strategy" "$on_best" "$off_best" \
    "$on_median" "$off_median" "$(echo "100 * ($on_best - $off_best) / $off_best" | bc -l)" \
    "$(echo "100 * ($on_median - $off_median) / $off_median" | bc -l)"
done
