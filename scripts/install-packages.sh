#!/usr/bin/env bash
# Installs the Debian 12 packages listed in DEVELOPERS.md that are missing (the one list of what
# hybridscope needs to build and test); does nothing when all are there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=$(sed -n '/<!-- packages:begin -->/,/<!-- packages:end -->/p' DEVELOPERS.md | grep -v '^[<`]')
missing=()
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-packages: installing ${missing[*]}"
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
