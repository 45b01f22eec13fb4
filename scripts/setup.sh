#!/usr/bin/env bash
# Sets up a Debian 12 machine for hybridscope: installs the missing packages listed in
# DEVELOPERS.md, builds into ./build, and runs the default job.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=$(sed -n '/<!-- packages:begin -->/,/<!-- packages:end -->/p' DEVELOPERS.md | grep -v '^[<`]')
missing=()
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"

# Open MPI refuses to start as root unless told twice (containers and CI run as root).
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
build/bin/hybridscope run
