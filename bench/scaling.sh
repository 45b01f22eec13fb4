#!/usr/bin/env bash
# What hybridscope costs per rank (issue 17, docs/benchmarks.md "Cost per rank"): from 1 to 64
# ranks, a program that only does MPI_Init, MPI_Barrier and MPI_Finalize against hybridscope running
# 100 x sleep(0.01) (the work itself, 0.5 s at 2 ranks, is a small part), side by side in one run, each REPEATS times interleaved (the best time counts),
# `mpiexec --oversubscribe --bind-to none`, 1 thread per rank. hybridscope's time is split into its
# phases (HYBRIDSCOPE_PHASES=1): process start, MPI_Init, set-up, run, sum-up (the collectives after
# the run), write, read-back, MPI_Finalize.
# Usage: bench/scaling.sh BUILD_DIR ["1 2 4 8 16 32 64"] [REPEATS=2]
set -euo pipefail
exe=$(cd "$1" && pwd)/bin/hybridscope
counts=${2:-1 2 4 8 16 32 64}
repeats=${3:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=1
mpi=(mpiexec --oversubscribe --bind-to none)

cat >bare.c <<'C'
#include <mpi.h>
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
  return 0;
}
C
mpicc -O2 bare.c -o bare
printf 'items = 100\nchunk = 1\n[workload]\nkind = "sleep"\nseconds = 0.01\n' >sleep.toml

# seconds COMMAND...: the command's wall time, end to end; its stderr kept in $work/err.
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >"$work/out" 2>"$work/err"
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
min() { printf '%s\n' "$@" | sort -g | head -1; }

echo "| ranks | bare MPI s | hybridscope s | ratio | start | MPI_Init | set-up | run | sum-up | write | read-back | finalize |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for n in $counts; do
  bare=() hs=() best=""
  for ((i = 0; i < repeats; i++)); do
    bare+=("$(seconds "${mpi[@]}" -np "$n" ./bare)")
    rm -f run.h5
    t=$(seconds "${mpi[@]}" -np "$n" -x HYBRIDSCOPE_PHASES=1 "$exe" run sleep.toml -o run.h5)
    hs+=("$t")
    # The phases of the fastest hybridscope run.
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" -eq 1 ]; then
      best=$t
      phases=$(sed -n 's/^phases *//p' "$work/err")
    fi
  done
  b=$(min "${bare[@]}") h=$(min "${hs[@]}")
  cols=$(echo "$phases" | tr ',' '\n' | awk '{printf "| %s ", $2}')
  printf '| %s | %.2f | %.2f | %.2f %s|\n' "$n" "$b" "$h" "$(echo "$h / $b" | bc -l)" "$cols"
done
