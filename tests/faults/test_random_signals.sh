#!/usr/bin/env bash
# SIGTERM or SIGINT at a random moment of a run, many times over: from MPI's start-up to after the
# last item (while the timeline is written, or after the job ended). Every time: a readable timeline
# holding every finished item, either complete or marked incomplete by that signal, an exit code
# that agrees with it, and an exit within seconds.
# Usage: test_random_signals.sh HYBRIDSCOPE MPIEXEC CHECK_TIMELINE (rounds and seed from
# HYBRIDSCOPE_RANDOM_SIGNAL_ROUNDS, HYBRIDSCOPE_RANDOM_SIGNAL_SEED)
set -u
exe=$1 mpiexec=$2 check_timeline=$3 rounds=${HYBRIDSCOPE_RANDOM_SIGNAL_ROUNDS:-16} seed=${HYBRIDSCOPE_RANDOM_SIGNAL_SEED:-$(date +%s)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
source "$(dirname "$0")/common.sh"
RANDOM=$seed
echo "seed $seed (replay with HYBRIDSCOPE_RANDOM_SIGNAL_SEED=$seed)"

# The ranks catch `signal` once their handler is installed: /proc/PID/status SigCgt has its bit.
catching() {
  local signal=$1 pid mask
  shift
  for pid in "$@"; do
    mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
    [ -n "$mask" ] && (( (0x$mask >> ($signal - 1)) & 1 )) || return 1
  done
}

for round in $(seq "$rounds"); do
  signal=$([ $((RANDOM % 2)) -eq 0 ] && echo TERM || echo INT)
  delay_ms=$((RANDOM % 3000))  # the run takes about 2 s to 3 s on 2 cores
  name="$work/r$round"
  start_run "$name" --set items=8000 --set workload.n=24 --set chunk=4
  # Until both ranks catch the signal, the launcher ended, or the bound on a hang passed.
  limit=$(( $(now_ms) + wait_bound * 1000 ))
  until ranks=$(ranks_of "$name.h5") && [ "$(wc -w <<<"$ranks")" -eq 2 ] \
      && catching "$(kill -l "$signal")" $ranks; do
    kill -0 "$launcher" 2>/dev/null || break
    [ "$(now_ms)" -lt $limit ] || { echo "FAIL: round $round: the ranks never installed their handlers"; status=1; break; }
    sleep 0.01
  done
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"  # the random moment
  # shellcheck disable=SC2086
  kill -s "$signal" $ranks 2>/dev/null
  wait_launcher
  what="round $round: SIG$signal after $delay_ms ms"
  [ "$seconds" -le $exit_bound ] || { echo "FAIL: $what: exit took $seconds s"; status=1; }
  if ! /usr/bin/python3 "$check_timeline" "$name.h5" --ranks 2 --threads 2 --stopped-by "SIG$signal" \
      >"$name.check"; then
    echo "FAIL: $what: $(cat "$name.check")"; cat "$name.log"; status=1; continue
  fi
  complete=$(grep -o 'complete=[01]' "$name.check")
  expected=$([ "$complete" = complete=1 ] && echo 0 || echo $((128 + $(kill -l "$signal"))))
  [ $code -eq "$expected" ] || { echo "FAIL: $what: exit $code with $complete: $(cat "$name.log")"; status=1; }
  echo "ok: $what: exit $code, $complete"
done
no_partial_files || { echo "FAIL: a partial file was left"; status=1; }
exit $status
