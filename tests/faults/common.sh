# Shared by the fault tests: start runs in the background, find their ranks, and wait for conditions
# with a deadline (never a sleep of a guessed length). Expects $exe, $mpiexec and $work; start_run
# and start_job set $launcher (mpiexec's pid), wait_for_cpu sets $ranks (the ranks' pids).

# time_factor, wait_until: tests/lib.sh. The CPU burnt before a signal scales with time_factor too.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# How long a job may take to end after a fault or a stop signal: Slurm's default KillWait (SIGKILL
# 30 s after SIGTERM), the limit that matters on a cluster. Unloaded, a stopped 2 x 2 run ends in
# 1-3 s and a killed one in about 2 s (Open MPI: SIGCONT, then SIGTERM and SIGKILL one
# odls_base_sigkill_timeout apart); on a 2-core machine shared with four compilers (load 8) the
# stopped runs took 11-13 s, which a bound of 10 s failed.
exit_bound=$((30 * time_factor))
# How long a condition that must come (ranks started, a file appeared) may take to come: a bound on
# a hang, not a measurement.
wait_bound=$((60 * time_factor))
# OpenMP worker CPU (clock ticks, both ranks) that shows items under way: half a second (hundreds
# of fib(27) items), scaled like the rest.
items_ticks=$(( $(getconf CLK_TCK) * time_factor / 2 ))


# start_job NP THREADS LOG RUN_ARGS...: `hybridscope run RUN_ARGS` on NP ranks x THREADS threads in
# the background, the launcher's output to LOG. HYBRIDSCOPE_TEST_HOLD_WRITE reaches every rank; the
# arrays launch_with (a command that execs mpiexec, e.g. setsid) and mpiexec_flags, if set, apply.
start_job() {
  local np=$1 threads=$2 log=$3 pass=()
  shift 3
  [ -z "${HYBRIDSCOPE_TEST_HOLD_WRITE:-}" ] || pass=(-x HYBRIDSCOPE_TEST_HOLD_WRITE)
  OMP_NUM_THREADS=$threads ${launch_with[@]+"${launch_with[@]}"} "$mpiexec" -np "$np" --oversubscribe \
    --bind-to none ${mpiexec_flags[@]+"${mpiexec_flags[@]}"} "${pass[@]}" "$exe" run "$@" >"$log" 2>&1 &
  launcher=$!
}

# start_run OUTPUT RUN_ARGS...: 2 ranks x 2 threads; output goes to OUTPUT.h5, the launcher's
# messages to OUTPUT.log.
start_run() {
  local output=$1
  shift
  start_job 2 2 "$output.log" "$@" -o "$output.h5"
}

# ranks_of PATH: the pids of the ranks writing to PATH (only this run's: other tests may run
# hybridscope at the same time).
ranks_of() { pgrep -f "^$exe run .*$1" | tr '\n' ' '; }

# rank_pid RANK PIDS...: the pid whose MPI rank is RANK (the pids are in no particular order).
rank_pid() {
  local victim=$1 p
  shift
  for p in "$@"; do
    grep -qz "^OMPI_COMM_WORLD_RANK=$victim$" "/proc/$p/environ" 2>/dev/null && echo "$p"
  done
}

# CPU time (in clock ticks) used so far by the threads other than the main thread of the given
# processes. The only such threads that compute are OpenMP's workers, which exist and run only in
# the executor (the one parallel region): their CPU is spent on items. Start-up, whose busy-polling
# in MPI's first collectives can burn a second on a loaded machine, runs on the main thread.
worker_ticks() {
  local total=0 pid task fields
  for pid in "$@"; do
    for task in /proc/"$pid"/task/*; do
      [ "${task##*/}" != "$pid" ] || continue
      fields=$(sed 's/.*) //' "$task/stat" 2>/dev/null) || continue
      set -- $fields
      total=$((total + ${12} + ${13}))
    done
  done
  echo $total
}

# wait_for_cpu OUTPUT TICKS: waits until the OpenMP worker threads of this run's two ranks have
# burnt TICKS of CPU: evidence that items are running, not a guess at a duration (the ranks' total
# CPU was not: under load it was spent in start-up, and a signal then stopped a run of 0 items).
# Returns non-zero if they never do.
wait_for_cpu() {
  local output=$1 ticks=$2 limit=$(( $(now_ms) + wait_bound * 1000 ))
  while [ "$(now_ms)" -lt $limit ]; do
    ranks=$(ranks_of "$output.h5")
    [ "$(wc -w <<<"$ranks")" -eq 2 ] && [ "$(worker_ticks $ranks)" -ge "$ticks" ] && return 0
    kill -0 "$launcher" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# wait_launcher [LIMIT]: waits for the launcher, at most LIMIT seconds (default wait_bound); sets
# $code and $seconds (since the call). A launcher still running at the limit is killed with its
# ranks ($ranks) and gives code 124 and seconds LIMIT, which fails any bound on the time.
wait_launcher() {
  local limit=${1:-$wait_bound} sent
  sent=$(now_ms)
  if wait_until "$limit" launcher_ended; then
    wait "$launcher"
    code=$?
    seconds=$(( ($(now_ms) - sent) / 1000 ))
  else
    echo "FAIL: the job did not end within $limit s; killing it"
    # shellcheck disable=SC2086
    kill -KILL "$launcher" ${ranks:-} 2>/dev/null
    wait "$launcher" 2>/dev/null
    code=124 seconds=$limit
  fi
}

launcher_ended() { ! kill -0 "$launcher" 2>/dev/null; }

# no_ranks_left PATH: within exit_bound, no rank writing to PATH is alive.
no_ranks_of() { [ -z "$(ranks_of "$1")" ]; }
no_ranks_left() { wait_until "$exit_bound" no_ranks_of "$1"; }

no_partial_files() { ! ls -a "${1:-$work}" | grep -q partial; }
