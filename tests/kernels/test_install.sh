#!/usr/bin/env bash
# `cmake --install` puts include/hybridscope/kernel.h beside the executable, and a plug-in compiles
# against the installed header alone and runs.
# Usage: test_install.sh CMAKE BUILD_DIR SOURCE_DIR C_COMPILER
set -eu
cmake=$1 build=$2 source=$3 cc=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cmake" --install "$build" --prefix "$work/prefix" >"$work/install.log"
test -f "$work/prefix/include/hybridscope/kernel.h" || { echo "FAIL: kernel.h not installed"; exit 1; }
"$cc" -O2 -fPIC -shared -Werror -Wall -I "$work/prefix/include" "$source/tests/kernels/minimal.c" -o "$work/libk.so"
OMP_NUM_THREADS=2 "$work/prefix/bin/hybridscope" run --set items=10 --set workload.kind=plugin \
  --set workload.library="$work/libk.so" -o "$work/k.h5" >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
grep -q '^checksum' "$work/out" && echo "ok: a plug-in built against the installed header runs"
