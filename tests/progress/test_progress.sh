#!/usr/bin/env bash
# Progress while running and `hybridscope watch` end to end (issue 18), under mpiexec with 2 ranks:
#   file      --progress 1 into a file: plain DONE/PLANNED lines that grow; a static strategy counted
#             too; without --progress, nothing in place (no carriage return, no escape) in a file
#   terminal  in a real terminal (tmux): one line rewritten in place, cleared before the summary;
#             the same job with its output redirected to a file there: no in-place line
#   watch     watch (in tmux) follows a running job to its end and shows the report; SIGUSR1 to mpiexec:
#             the status file says how the run ended
#   stalled   the ranks killed with SIGKILL: watch reports the job as stalled
#   bad-input bad --progress / watch arguments: one line naming the option and value, exit 2, no hang
# Usage: test_progress.sh HYBRIDSCOPE MPIEXEC PART
set -u
exe=$1 mpiexec=$2 part=$3
source "$(dirname "$0")/../lib.sh"
enter_work_dir
bound=$((30 * time_factor))
export OMP_NUM_THREADS=1
socket=hs-progress-$$
tmux_() { tmux -L "$socket" "$@"; }
trap 'tmux -L "$socket" kill-server 2>/dev/null; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# A job of about SECONDS on 2 ranks x 1 thread: sleep items of 50 ms.
job_args() { echo "--set workload.kind=\"sleep\" --set workload.seconds=0.05 --set items=$(($1 * 40))"; }
mpirun_() { "$mpiexec" -np 2 "${mpi_flags[@]}" "$exe" run "$@"; }
# start_job LOG RUN_ARGS...: mpirun_ in the background (mpiexec itself, not a subshell, is $launcher).
start_job() {
  local log=$1
  shift
  "$mpiexec" -np 2 "${mpi_flags[@]}" "$exe" run "$@" >"$log" 2>&1 &
  launcher=$!
}
# The done count of a status file, or nothing.
done_in() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"]["done"])' "$1" 2>/dev/null; }
status_has_items() { local n; n=$(done_in "$1"); [ -n "$n" ] && [ "$n" -gt 0 ]; }
field_of() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
pane() { tmux_ capture-pane -p -J -S -200 -t "$1"; }
pane_has() { pane "$1" | grep -Eq "$2"; }
# A terminal of 160 x 50 running bash, with this test's environment.
new_terminal() { tmux_ new-session -d -s "$1" -x 160 -y 50 "env PS1='$ ' bash --norc --noprofile"; }

part_file() {
  mpirun_ $(job_args 4) --progress 1 -o lines.h5 >lines.out 2>&1 || fail "run with --progress 1: exit $?: $(cat lines.out)"
  local lines
  lines=$(grep -cE '^progress   [0-9]+/160 items \([0-9]+%\)  [0-9.]+ items/s  elapsed [0-9:]+  ETA [0-9:?]+  slowest rank [01]: [0-9]+%$' lines.out)
  [ "$lines" -ge 3 ] && pass "--progress 1 into a file: $lines plain lines" || fail "--progress 1: $lines lines: $(cat lines.out)"
  sed -n 's/^progress   \([0-9]*\)\/.*/\1/p' lines.out | sort -nc && pass "the counts grow" || fail "counts not in order: $(cat lines.out)"
  grep -q $'\r\|\e' lines.out && fail "a carriage return or escape in a file" || pass "no in-place output in the file"
  grep -q '^wall time' lines.out || fail "no summary after the lines"
  [ "$(field_of lines.h5.status.json state)" = ended ] && [ "$(field_of lines.h5.status.json outcome)" = complete ] &&
    pass "the status file says ended, complete" || fail "status file: $(cat lines.h5.status.json)"

  # A static strategy makes no MPI call while it runs: its counts reach rank 0 through node memory.
  start_job static.out $(job_args 3) --set strategy=\"static-cyclic\" --progress 0 -o static.h5
  if wait_until $bound status_has_items static.h5.status.json; then
    /usr/bin/python3 - static.h5.status.json <<'PY' && pass "static-cyclic: both ranks counted mid-run, with their shares" || fail "static counts: $(cat static.h5.status.json)"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["state"] == "running", s["state"]
assert [r["planned"] for r in s["ranks"]] == [60, 60], s["ranks"]
assert sum(r["items"] for r in s["ranks"]) == s["items"]["done"] < 120
PY
  else fail "static-cyclic: no progress in the status file"; fi
  wait $launcher || fail "static run: exit $?"
  grep -q '^progress' static.out && fail "--progress 0 printed progress" || pass "--progress 0: no lines"

  # Without --progress, not on a terminal (a Slurm .out file): a line a minute, never in place.
  mpirun_ $(job_args 1) -o default.h5 >default.out 2>&1 || fail "default run: exit $?"
  grep -q $'\r\|\e' default.out && fail "default into a file: in-place output" || pass "default into a file: nothing in place"
  mpirun_ $(job_args 1) --quiet -o quiet.h5 >quiet.out 2>&1 || fail "--quiet run: exit $?"
  [ ! -s quiet.out ] && pass "--quiet prints nothing" || fail "--quiet printed: $(cat quiet.out)"
}

# Whether the run in terminal $1 has ended; $most_lines: the most lines matching $2 seen at once.
ended_showing_one_line() {
  local shown
  shown=$(pane "$1" | grep -cE "$2")
  [ "$shown" -le $most_lines ] || most_lines=$shown
  pane_has "$1" '^exit='
}

part_terminal() {
  new_terminal term
  # The in-place line, through mpiexec, then the same job as a singleton.
  tmux_ send-keys -t term "$mpiexec -np 2 ${mpi_flags[*]} $exe run $(job_args 4) -o term.h5; echo exit=\$?" Enter
  if wait_until $bound pane_has term '^[0-9]+/160 items \([0-9]+%\)  [0-9.]+ items/s  elapsed'; then
    pass "mpiexec at a terminal: the progress line"
  else fail "no progress line in the terminal: $(pane term)"; fi
  # Rewritten in place: looked at until the run ends, never more than one line at a time.
  most_lines=0
  wait_until $bound ended_showing_one_line term '^[0-9]+/160 items' || fail "the run did not end: $(pane term)"
  [ $most_lines -eq 1 ] && pass "one line, rewritten in place" || fail "$most_lines progress lines at once: $(pane term)"
  pane_has term '^exit=0' || fail "the run failed: $(pane term)"
  pane term | grep -qE 'items/s  elapsed' && fail "the line was not cleared: $(pane term)" || pass "cleared before the summary"
  pane term | grep -q '^wall time' || fail "no summary: $(pane term)"

  tmux_ send-keys -t term "clear; $exe run $(job_args 2) -o single.h5; echo exit=\$?" Enter
  wait_until $bound pane_has term '^[0-9]+/80 items \(' && pass "a singleton at a terminal: the progress line" ||
    fail "singleton: no progress line: $(pane term)"
  wait_until $bound pane_has term '^exit=0' || fail "the singleton did not end: $(pane term)"

  # mpiexec's output into a file from the terminal: the ranks see a pipe either way; no line in place.
  tmux_ send-keys -t term "clear; $mpiexec -np 2 ${mpi_flags[*]} $exe run $(job_args 1) -o redirected.h5 > redirected.out; echo exit=\$?" Enter
  wait_until $bound pane_has term '^exit=0' || fail "the redirected run did not end: $(pane term)"
  grep -q $'\r\|\e' redirected.out && fail "in-place output in a redirected file: $(cat -A redirected.out)" ||
    pass "mpiexec > file at a terminal: no in-place line"
}

part_watch() {
  start_job watched.out $(job_args 8) --progress 0 -o watched.h5
  wait_until $bound test -f watched.h5.status.json || fail "no status file"
  new_terminal watch
  tmux_ send-keys -t watch "$exe watch watched.h5 --every 0.5; echo exit=\$?" Enter
  wait_until $bound pane_has watch '^state +running' && pane_has watch '^rank 1 .*\[#*\.+\] +[0-9]+/160' &&
    pass "watch: running, a bar per rank" || fail "watch while running: $(pane watch)"
  wait $launcher || fail "watched run: exit $?: $(cat watched.out)"
  wait_until $bound pane_has watch '^exit=0' || fail "watch did not end with the job: $(pane watch)"
  pane_has watch '^state +ended: complete \(exit code 0\)' && pane_has watch '^efficiency' &&
    pass "watch: ended, and the report" || fail "watch at the end: $(pane watch)"

  # Stopped by SIGUSR1 (forwarded by mpiexec): the status file says so.
  start_job stopped.out $(job_args 20) --progress 0 -o stopped.h5
  wait_until $bound status_has_items stopped.h5.status.json || fail "stopped run: no progress"
  kill -USR1 $launcher
  wait $launcher
  local code=$?
  [ $code -eq 138 ] || fail "SIGUSR1: exit $code"
  [ "$(field_of stopped.h5.status.json outcome)" = "stopped by SIGUSR1" ] && [ "$(field_of stopped.h5.status.json exit_code)" = 138 ] &&
    pass "SIGUSR1: the status file says stopped by SIGUSR1, exit 138" || fail "status after SIGUSR1: $(cat stopped.out stopped.h5.status.json)"
}

part_stalled() {
  start_job killed.out $(job_args 60) --progress 0 -o killed.h5
  wait_until $bound status_has_items killed.h5.status.json || fail "no progress before the kill"
  new_terminal stalled
  tmux_ send-keys -t stalled "$exe watch killed.h5.status.json --stalled-after 3 --every 0.5" Enter
  wait_until $bound pane_has stalled '^state +running' || fail "watch before the kill: $(pane stalled)"
  local ranks
  ranks=$(pgrep -P $launcher)
  [ "$(echo $ranks | wc -w)" -eq 2 ] || fail "not 2 ranks under mpiexec: $ranks"
  # shellcheck disable=SC2086
  kill -KILL $ranks
  wait $launcher
  wait_until $bound pane_has stalled '^state +STALLED: no heartbeat for [0-9]+ s' && pass "SIGKILL of the ranks: watch says stalled" ||
    fail "watch after the kill: $(pane stalled)"
  "$exe" watch killed.h5 --once --stalled-after 3 >once.out 2>&1
  local code=$?
  [ $code -eq 1 ] && grep -q 'STALLED' once.out && pass "watch --once: stalled, exit 1" || fail "watch --once: exit $code: $(cat once.out)"
}

# expect_refusal WHAT PATTERN COMMAND...: exit 2, one line of ours on stderr matching PATTERN (mpiexec
# adds its own lines), within the bound.
expect_refusal() {
  local what=$1 pattern=$2
  shift 2
  timeout $bound "$@" >refusal.out 2>refusal.err
  local code=$?
  if [ $code -eq 2 ] && [ "$(grep -c '^hybridscope' refusal.err)" -eq 1 ] && grep -Eq -e "$pattern" refusal.err; then pass "$what"
  else fail "$what: exit $code: $(cat refusal.err)"; fi
}

# Every rank's exit code, as each rank's wrapper recorded it.
every_rank_exited() {
  local expected=$1 rank
  for rank in 0 1; do [ "$(cat "rc.$rank" 2>/dev/null)" = "$expected" ] || return 1; done
}

part_bad_input() {
  for value in -1 abc nan 0.01 1e9; do
    rm -f rc.*
    expect_refusal "--progress $value" "^hybridscope: error: --progress: value $value not accepted: 0 .* or seconds in \[0.1, 86400\]" \
      "$mpiexec" -np 2 "${mpi_flags[@]}" bash -c '"$@"; code=$?; echo $code >rc.$OMPI_COMM_WORLD_RANK; exit $code' \
      rank "$exe" run --progress "$value"
    every_rank_exited 2 || fail "--progress $value: exit codes per rank: $(cat rc.* 2>/dev/null)"
  done
  expect_refusal "watch of a missing file" "watch missing.h5: no status file \(tried missing.h5.status.json" "$exe" watch missing.h5
  echo '{"format": "other"}' >bad.status.json
  expect_refusal "watch of another JSON file" "bad.status.json: not a status file \(accepted:" "$exe" watch bad.status.json
  expect_refusal "watch --stalled-after 0" "--stalled-after.*0" "$exe" watch bad.status.json --stalled-after 0
  ls ./*.h5 2>/dev/null && fail "a refused run left a file"
}

launcher=
"part_${part//-/_}"
[ $failures -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
