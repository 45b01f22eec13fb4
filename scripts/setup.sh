#!/usr/bin/env bash
# Sets up a Debian 12 machine for hybridscope: installs the missing packages listed in
# DEVELOPERS.md (scripts/install-packages.sh), builds into ./build, and runs the default job.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-packages.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"

# Open MPI refuses to start as root unless told twice (containers and CI run as root).
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
build/bin/hybridscope run
