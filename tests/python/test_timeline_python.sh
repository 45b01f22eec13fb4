#!/usr/bin/env bash
# Interoperability: a timeline written by 2 ranks x 2 threads reads back with Debian's h5py and
# pandas exactly as docs/timeline-format.md shows, and holds its invariants.
# Usage: test_timeline_python.sh HYBRIDSCOPE MPIEXEC INPUTS_DIR
set -u
exe=$1 mpiexec=$2 inputs=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for input in gil irregular file_io; do
  OMP_NUM_THREADS=2 timeout 120 "$mpiexec" -np 2 --oversubscribe --bind-to none "$exe" run \
    "$inputs/$input.toml" --set items=24 -o "$work/$input.h5" >"$work/out" 2>&1 \
    || { echo "FAIL: $input run: $(cat "$work/out")"; status=1; continue; }
  /usr/bin/python3 "$here/check_timeline.py" "$work/$input.h5" --ranks 2 --threads 2 || status=1
done
exit $status
