# Shared by the fault tests: start a 2-rank x 2-thread run in the background and find its ranks.
# Expects $exe, $mpiexec and $work; sets $launcher (mpiexec's pid) and $ranks (the ranks' pids).

# Sanitized builds start and run 2-3 times slower (cmake/sanitizers.cmake sets the factor): the
# CPU burnt before a signal and the bounds on the time to exit scale with it.
time_factor=${HYBRIDSCOPE_TEST_TIME_FACTOR:-1}
exit_bound=$((10 * time_factor))

# CPU time (in clock ticks) used so far by the given processes.
cpu_ticks() {
  local total=0 pid fields
  for pid in "$@"; do
    fields=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    set -- $fields
    total=$((total + ${12} + ${13}))  # utime and stime (fields 14 and 15 of the full line)
  done
  echo $total
}

# start_run OUTPUT RUN_ARGS...: output goes to OUTPUT.h5, the launcher's messages to OUTPUT.log.
start_run() {
  local output=$1
  shift
  OMP_NUM_THREADS=2 "$mpiexec" -np 2 --oversubscribe --bind-to none "$exe" run "$@" \
    -o "$output.h5" >"$output.log" 2>&1 &
  launcher=$!
}

# wait_for_cpu OUTPUT TICKS: waits until this run's two ranks have burnt TICKS of CPU (evidence that
# items are running, not a guess at a duration). Only this run's ranks: other tests may run
# hybridscope at the same time. Returns non-zero if they never do.
wait_for_cpu() {
  local output=$1 ticks=$2
  for _ in $(seq 600); do
    ranks=$(pgrep -f "^$exe run .*$output.h5" | tr '\n' ' ')
    [ "$(wc -w <<<"$ranks")" -eq 2 ] && [ "$(cpu_ticks $ranks)" -ge "$ticks" ] && return 0
    kill -0 "$launcher" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# wait_launcher SECONDS: waits for the launcher, sets $code and $seconds (since the call).
wait_launcher() {
  local sent
  sent=$(date +%s%N)
  wait "$launcher"
  code=$?
  seconds=$(( ($(date +%s%N) - sent) / 1000000000 ))
}

no_partial_files() { ! ls -a "$work" | grep -q partial; }
