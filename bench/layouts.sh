#!/usr/bin/env bash
# Parallel efficiency (POP: useful time / (workers x wall)) of every layout that fills the cores, for
# a CPU-bound input, and of every strategy on an irregular one. Prints a markdown table.
# Usage: bench/layouts.sh BUILD_DIR   (e.g. build)
set -euo pipefail
exe=$(cd "$1" && pwd)/bin/hybridscope
cores=$(nproc)
inputs=$(cd "$(dirname "$0")/../inputs" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# run RANKS THREADS ARGS...: one line "wall efficiency load_balance communication".
run() {
  local ranks=$1 threads=$2; shift 2
  OMP_NUM_THREADS=$threads mpiexec -np "$ranks" --oversubscribe --bind-to none "$exe" run "$@" \
    -o "$work/$RANDOM$RANDOM.h5" |
    awk '/^wall time/ {w = $3} /^efficiency/ {e = $2; l = $6; c = $9} END {print w, e, l, c}'
}

echo "| input | layout | strategy | wall s | efficiency | load balance | communication |"
echo "|---|---|---|---|---|---|---|"
layouts=()
for ((r = 1; r <= cores; r++)); do (( cores % r == 0 )) && layouts+=("$r $((cores / r))"); done
for layout in "${layouts[@]}"; do
  read -r ranks threads <<<"$layout"
  read -r wall eff lb comm < <(run "$ranks" "$threads" --set items=2000 --set workload.n=30)
  echo "| fib(30) x 2000 | ${ranks}x${threads} | dynamic | $wall | $eff | $lb | $comm |"
done
for strategy in dynamic guided static-cyclic static-block; do
  for layout in "${layouts[@]}"; do
    read -r ranks threads <<<"$layout"
    read -r wall eff lb comm < <(run "$ranks" "$threads" "$inputs/irregular.toml" \
      --set strategy=$strategy 2>/dev/null || true)
    echo "| irregular | ${ranks}x${threads} | $strategy | $wall | $eff | $lb | $comm |"
  done
done
