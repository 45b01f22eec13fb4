#!/usr/bin/env bash
# A full disk while the timeline is written: a clear error, a non-zero exit of the whole job within
# seconds, no file that claims to be complete, and the user's existing files untouched (also with
# --force). Both MPI-IO implementations of Open MPI: OMPIO loses the write errors (the read-back
# catches them), ROMIO reports them (the job is ended from the rank that saw one).
# Runs in a private mount namespace with a small tmpfs (root, or an unprivileged user namespace).
# Usage: test_disk_full.sh HYBRIDSCOPE MPIEXEC [CHECK_TIMELINE, unused]
set -u
exe=$1 mpiexec=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }
# Bounds on durations scale under sanitizers (cmake/sanitizers.cmake); the job ends in about 2 s.
time_factor=${HYBRIDSCOPE_TEST_TIME_FACTOR:-1}

unshare_flags=(-m)
[ "$(id -u)" -eq 0 ] || unshare_flags=(-r -m)

# full_disk IO FORCE: one run into a 256 KiB tmpfs that already holds the user's files.
full_disk() {
  local io=$1 force=$2 disk="$work/disk" start elapsed code
  mkdir -p "$disk"
  start=$(date +%s)
  # shellcheck disable=SC2016
  unshare "${unshare_flags[@]}" bash -c '
    disk=$1 io=$2 force=$3 exe=$4 mpiexec=$5
    mount -t tmpfs -o size=256k tmpfs "$disk" || exit 99
    echo precious > "$disk/old.h5"
    echo precious > "$disk/out.h5.mine"
    [ "$force" = yes ] && echo precious > "$disk/out.h5"
    OMP_NUM_THREADS=2 OMPI_MCA_io=$io timeout "$6" "$mpiexec" -np 3 --oversubscribe --bind-to none \
      "$exe" run --set items=100000 --set workload.n=5 -o "$disk/out.h5" \
      $([ "$force" = yes ] && echo --force) >"$disk/../out" 2>&1
    code=$?
    ls -a "$disk" | grep -v "^out\.h5\.status\.json\$" >"$disk/../listing"  # the status file may stay
    cat "$disk/old.h5" "$disk/out.h5.mine" >"$disk/../kept"
    [ "$force" = yes ] && cat "$disk/out.h5" >>"$disk/../kept"
    exit $code' _ "$disk" "$io" "$force" "$exe" "$mpiexec" $((120 * time_factor))
  code=$?
  elapsed=$(( $(date +%s) - start ))
  local name="$io force=$force"
  [ $code -ne 99 ] || { fail "$name: cannot mount a tmpfs here"; return; }
  [ $code -ne 0 ] && [ $code -ne 124 ] || fail "$name: exit code $code, expected a failure: $(cat "$work/out")"
  [ "$elapsed" -le $((30 * time_factor)) ] || fail "$name: took $elapsed s"
  grep -q "hybridscope.*error: .*\(did not survive writing\|cannot write the timeline\)" "$work/out" \
    || fail "$name: no clear error: $(cat "$work/out")"
  local expected=". .. old.h5 out.h5.mine" kept="precious precious"
  [ "$force" = yes ] && expected=". .. old.h5 out.h5 out.h5.mine" kept="precious precious precious"
  [ "$(tr '\n' ' ' <"$work/listing" | sed 's/ $//')" = "$expected" ] \
    || fail "$name: files left on the disk: $(tr '\n' ' ' <"$work/listing")"
  [ "$(tr '\n' ' ' <"$work/kept" | sed 's/ $//')" = "$kept" ] || fail "$name: an existing file changed"
  [ $status -ne 0 ] || echo "ok: $name: exit $code after $elapsed s: $(grep -m1 'error:' "$work/out")"
}

for io in ompio romio321; do
  full_disk "$io" no
  full_disk "$io" yes
done
exit $status
