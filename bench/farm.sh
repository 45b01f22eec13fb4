#!/usr/bin/env bash
# Task farms against their usual peers, side by side in one run on one machine (issue 15,
# docs/benchmarks.md "Task farms"):
#  1. N x /bin/true on 2 workers: xargs -P2 (the command itself, and through sh -c as hybridscope
#     runs it), GNU parallel -j2 (apt-get install parallel; skipped without it), and hybridscope at
#     1 rank x 2 threads and 2 ranks x 1 thread, with its timeline recorded. Each REPEATS times,
#     interleaved, so that a busy moment of a shared machine hits all alike; the best time counts.
#  2. 50 ms sleep tasks on 2 workers: efficiency = ideal time / wall time.
#  3. 10 000 /bin/true tasks across 2 ranks x 2 threads: hand-out, task (spawn, run, wait) and the
#     rest (recording, output) per task, from the timeline.
# Usage: bench/farm.sh BUILD_DIR [TASKS=2000] [REPEATS=3]
set -euo pipefail
tasks=${2:-2000}
repeats=${3:-3}
source "$(dirname "$0")/common.sh"
bench_setup "$1"
mpi=(mpiexec --oversubscribe --bind-to none)
py=/usr/bin/python3

# seconds COMMAND...: the command's wall time, end to end.
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

# farm RANKS THREADS ITEMS COMMAND: runs a hybridscope farm; prints "end-to-end-seconds farm-wall-seconds".
farm() {
  local ranks=$1 threads=$2 items=$3 command=$4 out=$work/farm-$RANDOM$RANDOM
  local total
  total=$(seconds env OMP_NUM_THREADS="$threads" "${mpi[@]}" -n "$ranks" "$exe" run --set workload.kind=command \
    --set "workload.command=\"$command\"" --set "items=$items" -o "$out.h5")
  echo "$total $("$py" -c 'import h5py,sys; print(h5py.File(sys.argv[1])["/"].attrs["wall_seconds"])' "$out.h5")"
}

declare -A best
keep_best() {  # NAME SECONDS
  if [ -z "${best[$1]:-}" ] || [ "$(echo "$2 < ${best[$1]}" | bc)" = 1 ]; then best[$1]=$2; fi
}

echo "## $tasks x /bin/true on 2 workers (best of $repeats, seconds end to end; hybridscope: farm wall in brackets)"
for ((r = 0; r < repeats; r++)); do
  keep_best xargs "$(seconds sh -c "seq $tasks | xargs -P2 -n1 /bin/true")"
  keep_best xargs-sh "$(seconds sh -c "seq $tasks | xargs -P2 -I{} sh -c '/bin/true {}'")"
  if command -v parallel >/dev/null; then
    keep_best parallel "$(seconds sh -c "seq $tasks | parallel -j2 /bin/true")"
  fi
  read -r total wall < <(farm 1 2 "$tasks" "/bin/true {item}")
  keep_best hs-1x2 "$total"
  keep_best hs-1x2-farm "$wall"
  read -r total wall < <(farm 2 1 "$tasks" "/bin/true {item}")
  keep_best hs-2x1 "$total"
  keep_best hs-2x1-farm "$wall"
done
echo "| runner | seconds | tasks/s |"
echo "|---|---|---|"
for name in xargs xargs-sh parallel hs-1x2 hs-1x2-farm hs-2x1 hs-2x1-farm; do
  [ -n "${best[$name]:-}" ] || continue
  printf '| %s | %.2f | %.0f |\n' "$name" "${best[$name]}" "$(echo "$tasks / ${best[$name]}" | bc -l)"
done

echo
sleep_tasks=200
echo "## $sleep_tasks x sleep 0.05 on 2 workers (ideal $(echo "$sleep_tasks * 0.05 / 2" | bc -l | cut -c1-4) s)"
read -r total wall < <(farm 1 2 "$sleep_tasks" "sleep 0.05")
printf 'hybridscope 1x2: farm wall %.3f s, efficiency %.3f (end to end %.2f s)\n' "$wall" \
  "$(echo "$sleep_tasks * 0.05 / 2 / $wall" | bc -l)" "$total"

echo
echo "## 10000 x /bin/true across 2 ranks x 2 threads: cost per task"
out=$work/big
OMP_NUM_THREADS=2 "${mpi[@]}" -n 2 "$exe" run --set workload.kind=command --set 'workload.command="/bin/true {item}"' \
  --set items=10000 -o "$out.h5" >"$out.log"
"$py" - "$out.h5" <<'PY'
import h5py, sys
f = h5py.File(sys.argv[1])
t = f["threads"]
n = int(f.attrs["items_done"])
wall = float(f.attrs["wall_seconds"])
workers = len(t["rank"])
per = lambda column: t[column][()].sum() / n * 1e-3  # us per task
handout = per("handout_ns") + per("mpi_ns")
task = per("work_ns")
print(f"{n} tasks in {wall:.2f} s on {workers} workers: {n / wall:.0f} tasks/s")
print(f"per task: hand-out {handout:.1f} us, task (spawn, run, wait) {task:.0f} us, "
      f"the rest (record, output, idle) {wall * workers / n * 1e6 - handout - task:.1f} us")
PY
grep -E "written in" "$out.log" | sed 's/^/timeline: /'
