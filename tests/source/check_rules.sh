#!/usr/bin/env bash
# The layering rules that the compiler cannot see (DEVELOPERS.md): the HDF5 C API only in h5/'s .cpp
# files and api.hpp (which only they include), MPI_COMM_WORLD only where MPI starts, one schema
# version, a thin main.cpp.
# Usage: check_rules.sh SOURCE_DIR (the project's src/)
set -uo pipefail
src=${1:?usage: check_rules.sh SRC_DIR}
failed=0
fail() { echo "FAIL: $*"; failed=1; }

outside=$(grep -rlE '#include *[<"]hdf5\.h[>"]' "$src" | grep -vE '/hybridscope/h5/([^/]+\.cpp|api\.hpp)$')
[ -z "$outside" ] || fail "<hdf5.h> included outside h5/*.cpp and h5/api.hpp: $outside"
api=$(grep -rlE '#include *"hybridscope/h5/api\.hpp"' "$src" | grep -vE '/hybridscope/h5/[^/]+\.cpp$')
[ -z "$api" ] || fail "h5/api.hpp included outside h5/*.cpp: $api"
[ -n "$(grep -rlE '#include *<hdf5\.h>' "$src/hybridscope/h5")" ] || fail "h5/ does not include <hdf5.h>: wrong folder?"

world=$(grep -rnE '\bMPI_COMM_WORLD\b' "$src" --include=*.cpp --include=*.hpp | grep -v '^[^:]*:[0-9]*: *//' \
  | grep -v '/hybridscope/run/pipeline.cpp:')
[ -z "$world" ] || fail "MPI_COMM_WORLD named outside run/pipeline.cpp: $world"

versions=$(grep -rnE 'kSchemaVersion *=' "$src" | wc -l)
[ "$versions" -eq 1 ] || fail "kSchemaVersion is defined $versions times"

lines=$(wc -l <"$src/main.cpp")
[ "$lines" -lt 80 ] || fail "src/main.cpp has $lines lines (a dispatcher has fewer than 80)"

[ $failed -eq 0 ] && echo "source rules: all hold"
exit $failed
