#!/usr/bin/env bash
# The whole test suite: every ctest of ./build (scripts/setup.sh made it), then the AddressSanitizer
# + UndefinedBehaviorSanitizer build with the fuzzers, and the ThreadSanitizer run (scripts/sanitize.sh).
#   bash scripts/test.sh                   everything, as CI runs it
#   bash scripts/test.sh --no-sanitizers   only ./build's tests
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d build ] || { echo "test: no ./build; run 'bash scripts/setup.sh' first" >&2; exit 1; }
cmake --build build -j "$(nproc)" || exit 1
status=0
ctest --test-dir build --no-tests=error --output-on-failure -j "$(nproc)" || status=1
if [ "${1:-}" != --no-sanitizers ]; then
  bash scripts/sanitize.sh || status=1
fi
exit $status
