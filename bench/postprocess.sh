#!/usr/bin/env bash
# Post-processing speed on a 10 M-interval timeline: report (target <= 3 s), plot (<= 5 s), and their
# peak memory against the raw size of the intervals (41 bytes each; target <= 2x).
# Usage: bench/postprocess.sh BUILD_DIR
set -euo pipefail
exe=$(cd "$1" && pwd)/bin/hybridscope
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
OMP_NUM_THREADS=1 mpiexec -np 2 --bind-to none "$exe" run --set workload.n=1 --set items=10000000 \
  --set chunk=1000 -o "$work/big.h5" | grep '^timeline'
raw_mb=$(( 10010008 * 41 / 1000000 ))
for command in "report $work/big.h5" "report --json $work/big.h5" "plot $work/big.h5 -o $work/big.svg"; do
  /usr/bin/time -f "%e %M" -o "$work/time" "$exe" $command >/dev/null
  read -r seconds kb <"$work/time"
  echo "hybridscope $command: $seconds s, $((kb / 1000)) MB peak (raw intervals $raw_mb MB)" |
    sed "s|$work/||g"
done
echo "svg: $(stat -c %s "$work/big.svg") bytes"
