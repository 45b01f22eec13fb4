#!/usr/bin/env bash
# SIGTERM, SIGINT and SIGUSR1 mid-run (as Slurm, Ctrl-C and sbatch --signal deliver them, to every
# task): the run stops handing out work, writes a valid timeline marked incomplete with every
# finished item, removes file_io's scratch files, and exits within seconds with 128 + the signal.
# Then the same signals sent to mpiexec itself, as a user does (Ctrl-C at the terminal, `kill`):
# what Open MPI 4.1 makes of them is checked at the end of this file.
# Usage: test_signals.sh HYBRIDSCOPE MPIEXEC CHECK_TIMELINE
set -u
exe=$1 mpiexec=$2 check_timeline=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
source "$(dirname "$0")/common.sh"

# stop_run NAME SIGNAL CHECK_ARGS -- RUN_ARGS: signals the ranks of a 2 x 2 run once items are under
# way (wait_for_cpu), and checks the exit and the timeline.
stop_run() {
  local name=$1 signal=$2 check=()
  shift 2
  while [ "$1" != "--" ]; do check+=("$1"); shift; done
  shift
  start_run "$work/$name" "$@"
  if ! wait_for_cpu "$work/$name" "$items_ticks"; then
    echo "FAIL: $name: the ranks never started: $(cat "$work/$name.log")"; status=1; return
  fi
  # shellcheck disable=SC2086
  kill -s "$signal" $ranks
  wait_launcher
  local expected=$((128 + $(kill -l "$signal")))
  no_ranks_left "$work/$name.h5" || { echo "FAIL: $name: ranks still running"; status=1; }
  [ "$seconds" -le $exit_bound ] || { echo "FAIL: $name: exit took $seconds s"; status=1; }
  # mpiexec reports the first non-zero exit code of a rank.
  [ $code -eq $expected ] || { echo "FAIL: $name: exit code $code, expected $expected: $(cat "$work/$name.log")"; status=1; }
  no_partial_files || { echo "FAIL: $name: a partial file was left"; status=1; }
  /usr/bin/python3 "$check_timeline" "$work/$name.h5" --ranks 2 --threads 2 \
    --incomplete "SIG$signal" "${check[@]}" || { status=1; cat "$work/$name.log"; }
  grep -q "warning: stopped early by SIG$signal" "$work/$name.log" || { echo "FAIL: $name: no warning"; status=1; }
}

for signal in TERM INT USR1; do
  stop_run "fib_$signal" "$signal" -- --set items=200000 --set workload.n=27
done
# file_io's scratch files go with the run, even when it is stopped mid-item.
mkdir "$work/scratch"
stop_run file_io TERM --min-items 0 -- --set items=100000 --set workload.kind=file_io \
  --set workload.bytes=1048576 --set "workload.dir=$work/scratch"
[ -z "$(ls -A "$work/scratch")" ] || { echo "FAIL: file_io left scratch files: $(ls -AR "$work/scratch")"; status=1; }
# Items far longer than Slurm's kill wait are abandoned, not waited for.
stop_run spin_hour TERM --abandoned -- --set items=8 --set workload.kind=spin --set workload.seconds=3600

# --- signals to mpiexec itself ------------------------------------------------------------------
# Open MPI 4.1's mpiexec forwards SIGUSR1 (and SIGUSR2, SIGTSTP, SIGCONT, SIGALRM, SIGABRT) to the
# ranks, but not SIGTERM or SIGINT (ess_base_forward_signals refuses them): on either it ends the job
# itself, with SIGCONT at once, SIGTERM one odls_base_sigkill_timeout later (1 s by default) and
# SIGKILL one more later, and exits 1. The ranks stop at the SIGTERM and start writing the timeline;
# a write that takes longer than that second is killed, and its hidden partial file stays beside
# the output. The ranks run in process groups of their own, so Ctrl-C at a terminal (SIGINT to the
# foreground process group) reaches mpiexec only: it is what SIGINT to mpiexec's group does here.
# Whatever the timing: the job ends within seconds with a non-zero exit, no rank is left, and a file
# at the output path, if any, is a valid timeline marked incomplete by SIGTERM, never one that
# claims to be complete.

# signal_mpiexec NAME SIGNAL TARGET [MPIEXEC_FLAGS...]: a 2 x 2 run whose mpiexec (in a session and
# process group of its own) gets SIGNAL once items are under way (wait_for_cpu); TARGET is
# "group" (the terminal's Ctrl-C) or "launcher" (kill PID). The job must end within $signal_bound
# seconds (default exit_bound). Sets $outcome.
signal_mpiexec() {
  local name=$1 signal=$2 target=$3 group
  shift 3
  launch_with=(setsid) mpiexec_flags=("$@")
  start_run "$work/$name" --set items=200000 --set workload.n=27
  launch_with=() mpiexec_flags=()
  outcome=""
  if ! wait_for_cpu "$work/$name" "$items_ticks"; then
    echo "FAIL: $name: the ranks never started: $(cat "$work/$name.log")"; status=1; wait_launcher 0; return 1
  fi
  group=$(ps -o pgid= -p "$launcher" | tr -d ' ')
  if [ "$group" != "$launcher" ]; then
    echo "FAIL: $name: mpiexec ($launcher) does not lead its own process group ($group)"; status=1
    wait_launcher 0; return 1
  fi
  local rank
  for rank in $ranks; do
    [ "$(ps -o pgid= -p "$rank" | tr -d ' ')" != "$group" ] \
      || echo "note: $name: rank $rank is in mpiexec's process group: Ctrl-C reaches it directly"
  done
  if [ "$target" = group ]; then kill -s "$signal" -- "-$group"; else kill -s "$signal" "$launcher"; fi
  wait_launcher
  [ "$seconds" -le "${signal_bound:-$exit_bound}" ] || { echo "FAIL: $name: the job took $seconds s to end"; status=1; }
  no_ranks_left "$work/$name.h5" || { echo "FAIL: $name: ranks still running: $(ranks_of "$work/$name.h5")"; status=1; }
  local partial
  partial=$(ls -A "$work" | grep "^\.$name\.h5\.partial-" | xargs)
  if [ -e "$work/$name.h5" ]; then
    outcome="timeline written, exit $code"
  else
    outcome="no timeline, exit $code, ${partial:-no partial file} left"
  fi
  echo "observed: $name: SIG$signal to mpiexec ($target): $outcome after $seconds s"
}

# Ctrl-C and kill: the job ends; if a timeline was written in the second Open MPI gives, it is
# marked incomplete by SIGTERM (what the ranks got).
for how in "INT group" "TERM launcher"; do
  read -r signal target <<<"$how"
  name=mpiexec_${signal}_$target
  signal_mpiexec "$name" "$signal" "$target" || continue
  [ $code -ne 0 ] || { echo "FAIL: $name: exit code 0"; status=1; }
  if [ -e "$work/$name.h5" ]; then
    /usr/bin/python3 "$check_timeline" "$work/$name.h5" --ranks 2 --threads 2 --incomplete SIGTERM --min-items 0 \
      || { echo "FAIL: $name: the file at the output path"; status=1; }
  fi
  rm -f "$work/.$name.h5.partial-"*
done

# SIGUSR1 to mpiexec is forwarded: the run stops as if the ranks had got it, and the timeline is
# written, marked incomplete by SIGUSR1, with exit 138. The way to stop an mpiexec job cleanly.
if signal_mpiexec mpiexec_USR1 USR1 launcher; then
  [ $code -eq 138 ] || { echo "FAIL: mpiexec_USR1: exit $code, expected 138: $(cat "$work/mpiexec_USR1.log")"; status=1; }
  /usr/bin/python3 "$check_timeline" "$work/mpiexec_USR1.h5" --ranks 2 --threads 2 --incomplete SIGUSR1 \
    || { echo "FAIL: mpiexec_USR1: no timeline marked incomplete by SIGUSR1"; status=1; }
fi

# Ctrl-C with a longer odls_base_sigkill_timeout: the ranks get SIGTERM that much later, and have
# that long to write. The timeline is then written, marked incomplete by SIGTERM (mpiexec exits 1
# after twice the timeout).
grace=$((10 * time_factor))
signal_bound=$((2 * grace + exit_bound))
if signal_mpiexec mpiexec_INT_grace INT group --mca odls_base_sigkill_timeout "$grace"; then
  [ -e "$work/mpiexec_INT_grace.h5" ] && /usr/bin/python3 "$check_timeline" "$work/mpiexec_INT_grace.h5" \
    --ranks 2 --threads 2 --incomplete SIGTERM \
    || { echo "FAIL: mpiexec_INT_grace: with $grace s to write, no timeline marked incomplete by SIGTERM:"
         cat "$work/mpiexec_INT_grace.log"; status=1; }
  [ $code -ne 0 ] || { echo "FAIL: mpiexec_INT_grace: exit code 0"; status=1; }
fi
signal_bound=$exit_bound
no_partial_files || { echo "FAIL: a partial file was left: $(ls -a "$work")"; status=1; }
exit $status
