#!/usr/bin/env bash
# Task farms end to end (workload.kind = "command", issue 15): templates and task files on one rank
# and under mpiexec give the same checksum, every task's output lands in its own file and agrees with
# the timeline's /tasks; failures, retries and fail_fast; stops (SIGTERM, SIGINT, SIGUSR1, a task
# that ignores SIGTERM); run --resume of a farm and of a built-in kind; bad input ending every rank
# with exit 2 and one line; no task left running when hybridscope is SIGKILLed.
# Usage: test_farm.sh HYBRIDSCOPE MPIEXEC PART
#   PART: basics, failures, stop, resume, bad-input or orphans (ctest runs them side by side).
set -u
exe=$1 mpiexec=$2 part=$3
source "$(dirname "$0")/../lib.sh"
enter_work_dir
# at_least N GLOB: N or more files match GLOB (in the working directory).
at_least() { local files; files=$(compgen -G "$2" | wc -l); [ "$files" -ge "$1" ]; }
# started N: N or more started.* files, or the background run ($pid) is gone (so a run that failed
# early is not waited for).
started() { at_least "$1" 'started.*' || ! kill -0 $pid 2>/dev/null; }

farm=(run --set workload.kind=command)

# run_one THREADS ARGS...: hybridscope without mpiexec (an MPI singleton); output in $work/out.
run_one() {
  local threads=$1; shift
  OMP_NUM_THREADS=$threads timeout $((60 * time_factor)) "$exe" "$@" >"$work/out" 2>&1 </dev/null
}
# run_mpi NP THREADS ARGS...: under mpiexec; output in $work/out.
run_mpi() {
  local np=$1 threads=$2; shift 2
  OMP_NUM_THREADS=$threads timeout $((60 * time_factor)) "$mpiexec" -np "$np" "${mpi_flags[@]}" "$exe" "$@" \
    >"$work/out" 2>&1 </dev/null
}

# Each rank records its own exit code, so that mpiexec's aggregation cannot hide a rank that hung or
# exited otherwise (as in tests/cli/test_cli.sh).
cat >"$work/wrap.sh" <<'WRAP'
"$@"
echo $? >"$WRAP_DIR/rank.${OMPI_COMM_WORLD_RANK:-0}"
WRAP
# run_ranks NP THREADS ARGS...: under mpiexec with wrap.sh; sets $codes ("2 1": both ranks exited 1)
# and $launcher (mpiexec's exit code: 0 unless a rank died or timeout struck, since wrap.sh exits 0);
# output in $work/out.
run_ranks() {
  local np=$1 threads=$2; shift 2
  rm -f "$work"/rank.*
  OMP_NUM_THREADS=$threads WRAP_DIR=$work timeout $((60 * time_factor)) "$mpiexec" -np "$np" "${mpi_flags[@]}" \
    -x WRAP_DIR bash "$work/wrap.sh" "$exe" "$@" >"$work/out" 2>&1 </dev/null
  launcher=$?
  codes=$(cat "$work"/rank.* 2>/dev/null | sort | uniq -c | xargs)
}

# pycheck NAME ARGS... <<'PY': runs the Python script on stdin (after the helpers below) with ARGS;
# exit 0 passes, anything else fails with what the script printed.
read -r -d '' py_helpers <<'PY'
import sys, h5py, numpy as np
def attrs(path):
    with h5py.File(path, "r") as f:
        return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
def table(path, name):
    with h5py.File(path, "r") as f:
        return {c: f[name][c][()] for c in f[name]}
def items_of(path, name):  # the items of /succeeded or /carried, sorted, repeats kept
    t = table(path, name)
    return sorted(i for first, count in zip(t["first"], t["count"]) for i in range(int(first), int(first + count)))
def expect(condition, *why):
    if not condition:
        print(*why)
        sys.exit(1)
PY
pycheck() {
  local name=$1 script; shift
  script="$py_helpers"$'\n'"$(cat)"
  if /usr/bin/python3 -c "$script" "$@" >"$work/py" 2>&1; then pass "$name"; else fail "$name: $(cat "$work/py")"; fi
}

# start_bg OUT THREADS ARGS...: hybridscope in the background (no timeout wrapper: coreutils' timeout
# would pass a signal on twice, once to its process group, and a second SIGTERM ends a run at once);
# its output in OUT; sets $pid.
start_bg() {
  local out=$1 threads=$2; shift 2
  OMP_NUM_THREADS=$threads "$exe" "$@" >"$out" 2>&1 </dev/null &
  pid=$!
}
# finish_bg SECONDS: waits up to SECONDS for $pid (then SIGKILLs it); sets $code and $elapsed_ms.
finish_bg() {
  local start; start=$(now_ms)
  if ! wait_until "$1" eval '! kill -0 $pid 2>/dev/null'; then kill -KILL $pid 2>/dev/null; fi
  wait $pid
  code=$?
  elapsed_ms=$(( $(now_ms) - start ))
}
# group_members GROUPS: the live processes (zombies aside: a killed task's child waits to be reaped by
# init for a moment) of the process groups GROUPS (a space-separated list), one "pid pgid cmd" a line.
group_members() {
  ps -eo pid=,pgid=,stat=,args= | awk -v groups=" $1 " 'index(groups, " " $2 " ") && $3 !~ /^Z/'
}
# no_group_left H5: within 5 s, none of the process groups of the timeline's /tasks has a process left.
no_group_left() {
  local groups
  groups=$(/usr/bin/python3 -c 'import sys, h5py; print(*h5py.File(sys.argv[1], "r")["tasks"]["pid"][()])' "$1")
  [ -n "$groups" ] && wait_until $((5 * time_factor)) eval '[ -z "$(group_members "$groups")" ]'
}

# =================================================================================================
if [ "$part" = basics ]; then
  # Every item prints "ITEM RANK THREAD" and a line on stderr, but item 5 copies its stdin (which must
  # be /dev/null: hybridscope's own stdin here holds text) and item 6 prints nothing.
  echo "text on hybridscope's stdin" >"$work/stdin.txt"
  template='if [ {item} -eq 5 ]; then cat; test \"$(readlink /proc/self/fd/0)\" = /dev/null; elif [ {item} -eq 6 ]; then :; else echo \"$HYBRIDSCOPE_ITEM $HYBRIDSCOPE_RANK $HYBRIDSCOPE_THREAD\"; echo \"err {item} $HYBRIDSCOPE_ATTEMPT\" >&2; fi'
  basic=("${farm[@]}" --set items=60 --set "workload.command=\"$template\"")
  OMP_NUM_THREADS=1 timeout $((60 * time_factor)) "$exe" "${basic[@]}" -o one.h5 >"$work/out" 2>&1 <"$work/stdin.txt"
  code=$? one=$(checksum_of "$work/out")
  [ $code -eq 0 ] && [ -n "$one" ] && pass "template farm 1x1: exit 0, checksum $one" \
    || fail "template farm 1x1: exit $code: $(cat "$work/out")"
  OMP_NUM_THREADS=1 timeout $((60 * time_factor)) "$mpiexec" -np 2 "${mpi_flags[@]}" "$exe" "${basic[@]}" \
    --set threads=2 --set strategy=static-cyclic -o four.h5 >"$work/out" 2>&1 <"$work/stdin.txt"
  code=$? four=$(checksum_of "$work/out")
  [ $code -eq 0 ] && [ "$four" = "$one" ] && grep -q '^layout  *2 ranks x 2 threads' "$work/out" \
    && pass "template farm 2x2: exit 0, same checksum as 1x1" \
    || fail "template farm 2x2: exit $code, checksum '$four', 1x1 '$one': $(cat "$work/out")"
  for run in one:1:1 four:2:2; do
    IFS=: read -r name ranks threads <<<"$run"
    pycheck "$name.h5: /tasks, attributes and every task's output files agree" "$work/$name.h5" "$work/$name.tasks" \
      "$ranks" "$threads" <<'PY'
import os
path, out, ranks, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
a, t = attrs(path), table(path, "tasks")
for k, v in dict(items_planned=60, items_done=60, items_failed=0, complete=1, ranks=ranks, threads_per_rank=threads,
                 workload="command", task_output=out, resumed_from="", items_carried=0).items():
    expect(a[k] == v, f"attribute {k} = {a[k]!r}, expected {v!r}")
expect(a["checksum"] == a["checksum_succeeded"], "checksum", a["checksum"], "checksum_succeeded", a["checksum_succeeded"])
expect(sorted(t["item"]) == list(range(60)), "items of /tasks:", sorted(t["item"]))
expect(set(t["exit_code"]) == {0} and set(t["signal"]) == {0} and set(t["attempt"]) == {0},
       "exit codes", t["exit_code"], "signals", t["signal"], "attempts", t["attempt"])
expect(set(t["rank"]) == set(range(ranks)), "ranks used:", set(t["rank"]))  # static-cyclic gives each rank items
expect(set(t["thread"]) <= set(range(threads)), "threads:", set(t["thread"]))
expect(len(set(t["pid"])) == 60 and min(t["pid"]) > 0, "pids:", t["pid"])
expect(items_of(path, "succeeded") == list(range(60)), "/succeeded:", items_of(path, "succeeded"))
expect(items_of(path, "carried") == [], "/carried:", items_of(path, "carried"))
expected = set()
for item, rank, thread in zip(t["item"], t["rank"], t["thread"]):
    if item in (5, 6):
        continue
    expected |= {f"0/{item}.out", f"0/{item}.err"}
    with open(f"{out}/0/{item}.out") as f:
        got = f.read()
    expect(got == f"{item} {rank} {thread}\n", f"item {item} ran on rank {rank} thread {thread}, its .out: {got!r}")
    with open(f"{out}/0/{item}.err") as f:
        got = f.read()
    expect(got == f"err {item} 0\n", f"item {item}: .err {got!r}")
found = {os.path.relpath(os.path.join(d, n), out) for d, _, names in os.walk(out) for n in names}
expect(found == expected, "unexpected files:", sorted(found - expected), "missing:", sorted(expected - found))
PY
  done

  # Sharding: items 1000 and up go to folder 1; only the tasks that wrote have files.
  run_one 2 "${farm[@]}" --set items=1003 --set 'workload.command="[ {item} -lt 998 ] || echo out{item}"' -o shard.h5
  code=$?
  found=$(cd shard.tasks 2>/dev/null && find . -type f | sort | xargs)
  [ $code -eq 0 ] && [ "$found" = "./0/998.out ./0/999.out ./1/1000.out ./1/1001.out ./1/1002.out" ] &&
    [ "$(cat shard.tasks/1/1002.out)" = out1002 ] && pass "1003 tasks: outputs sharded by 1000, only non-empty files" \
    || fail "sharding: exit $code, files '$found': $(cat "$work/out")"

  # A task file: comments (also indented) and blank lines skipped, item N is the N-th command.
  printf '%s\n' '# a task file' '' 'echo first' '   # indented comment' 'echo "second $HYBRIDSCOPE_ITEM"' '' \
    "echo 'not # a comment'" '	' 'printf "%s\n" fourth' '# the end' >"$work/list.txt"
  # In a deck without an items key (the task file sets it); its path is relative to the deck's folder.
  printf '[workload]\nkind = "command"\ntasks = "list.txt"\n' >"$work/list.toml"
  run_mpi 2 1 run "$work/list.toml" --set workload.output="$work/listed" -o list.h5
  code=$?
  [ $code -eq 0 ] && grep -q '^workload  *tasks .*list.txt, 4 of 4 items' "$work/out" \
    && pass "task file: 4 commands, exit 0" || fail "task file: exit $code: $(cat "$work/out")"
  pycheck "task file: item N ran the N-th command" "$work/list.h5" "$work/listed" <<'PY'
path, out = sys.argv[1], sys.argv[2]
a, t = attrs(path), table(path, "tasks")
expect(a["items_planned"] == 4 and a["items_done"] == 4 and a["task_output"] == out, a)
expect(len(a["tasks_digest"]) == 16 and a["tasks_digest"] != "0" * 16, "tasks_digest", a["tasks_digest"])
expect(sorted(t["item"]) == [0, 1, 2, 3] and set(t["exit_code"]) == {0}, t)
for item, want in enumerate(["first\n", "second 1\n", "not # a comment\n", "fourth\n"]):
    with open(f"{out}/0/{item}.out") as f:
        got = f.read()
    expect(got == want, f"item {item}: {got!r}, expected {want!r}")
PY
  # The same farm with items = 4 given (agrees) runs alike.
  run_one 1 "${farm[@]}" --set workload.tasks="$work/list.txt" --set items=4 -o list4.h5
  [ $? -eq 0 ] && grep -q '4 of 4 items' "$work/out" && pass "task file with items = 4 that agrees" \
    || fail "task file with items = 4: $(cat "$work/out")"
fi

# =================================================================================================
if [ "$part" = failures ]; then
  # Exit codes: item % 4, so 9 of 12 fail; both ranks exit 1 and the message names the items.
  codes_farm=("${farm[@]}" --set items=12 --set 'workload.command="echo out{item}; exit $(({item} % 4))"')
  run_ranks 2 2 "${codes_farm[@]}" -o codes.h5
  if [ "$codes" = "2 1" ] && [ $launcher -eq 0 ] &&
     grep -qF "hybridscope: error: 9 of 12 tasks failed: items 1, 2, 3, 5, 6, 7, 9, 10, 11; output of item 1: $work/codes.tasks/0/1.{out,err}" "$work/out"; then
    pass "failing tasks: exit 1 on both ranks, the error names the failed items"
  else
    fail "failing tasks: launcher $launcher, exit codes per rank '$codes': $(cat "$work/out")"
  fi
  failed_sum=$(checksum_of "$work/out")
  pycheck "failing tasks: /tasks exit codes, items_failed, /succeeded" "$work/codes.h5" <<'PY'
path = sys.argv[1]
a, t = attrs(path), table(path, "tasks")
expect(a["items_done"] == 12 and a["items_failed"] == 9 and a["complete"] == 1, a)
expect(sorted(t["item"]) == list(range(12)), "items", t["item"])
for item, code, sig in zip(t["item"], t["exit_code"], t["signal"]):
    expect(code == item % 4 and sig == 0, f"item {item}: exit code {code}, signal {sig}")
expect(items_of(path, "succeeded") == [0, 4, 8], "/succeeded", items_of(path, "succeeded"))
expect(a["checksum_succeeded"] != a["checksum"], "checksum_succeeded = checksum although tasks failed")
PY
  # The exit statuses are part of the checksum: the same on one rank, unlike an all-successful farm.
  run_one 1 "${codes_farm[@]}" -o codes1.h5
  code=$?
  [ $code -eq 1 ] && [ -n "$failed_sum" ] && [ "$(checksum_of "$work/out")" = "$failed_sum" ] \
    && pass "failing farm: exit 1 and the same checksum on 1x1" \
    || fail "failing farm 1x1: exit $code, checksum $(checksum_of "$work/out"), 2x2 $failed_sum: $(cat "$work/out")"
  run_one 2 "${farm[@]}" --set items=12 --set 'workload.command="true {item}"' -o ok12.h5
  ok12=$(checksum_of "$work/out")
  [ -n "$ok12" ] && [ "$ok12" != "$failed_sum" ] && pass "exit statuses change the checksum" \
    || fail "all-successful checksum '$ok12' = failing farm's '$failed_sum': $(cat "$work/out")"
  # More than ten failures: ten named, then "...".
  run_one 2 "${farm[@]}" --set items=30 --set 'workload.command="exit $(({item} % 2))"' -o odd.h5
  code=$?
  [ $code -eq 1 ] && grep -qF 'error: 15 of 30 tasks failed: items 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, ...;' "$work/out" \
    && pass "15 failures: the first ten named" || fail "15 failures: exit $code: $(cat "$work/out")"

  # Retries: items 0, 3, 6, 9 fail on their first attempt only (a marker file per item).
  mkdir -p "$work/marks"
  retry='if [ $(({item} % 3)) -eq 0 ] && [ ! -e marks/{item} ]; then touch marks/{item}; echo first{item}; exit 3; fi; echo \"ok {item} $HYBRIDSCOPE_ATTEMPT\"'
  run_ranks 2 2 "${farm[@]}" --set items=12 --set workload.retries=2 --set "workload.command=\"$retry\"" -o retry.h5
  [ "$codes" = "2 0" ] && [ $launcher -eq 0 ] && [ "$(checksum_of "$work/out")" = "$ok12" ] \
    && pass "retries: exit 0 on both ranks, the checksum of an all-successful farm" \
    || fail "retries: launcher $launcher, exit codes '$codes', checksum $(checksum_of "$work/out") (all ok: $ok12): $(cat "$work/out")"
  pycheck "retries: two rows (attempts 0 and 1) for the items that failed once, outputs per attempt" \
    "$work/retry.h5" "$work/retry.tasks" <<'PY'
path, out = sys.argv[1], sys.argv[2]
a, t = attrs(path), table(path, "tasks")
expect(a["items_done"] == 12 and a["items_failed"] == 0 and a["complete"] == 1, a)
rows = sorted(zip(t["item"], t["attempt"], t["exit_code"]))
want = sorted([(i, 0, 3) for i in (0, 3, 6, 9)] + [(i, 1, 0) for i in (0, 3, 6, 9)] +
              [(i, 0, 0) for i in range(12) if i % 3])
expect(rows == want, "rows (item, attempt, exit_code):", rows)
for i in (0, 3, 6, 9):
    expect(open(f"{out}/0/{i}.out").read() == f"first{i}\n", f"{out}/0/{i}.out")
    expect(open(f"{out}/0/{i}.1.out").read() == f"ok {i} 1\n", f"{out}/0/{i}.1.out")
expect(open(f"{out}/0/4.out").read() == "ok 4 0\n", f"{out}/0/4.out")
expect(items_of(path, "succeeded") == list(range(12)), "/succeeded", items_of(path, "succeeded"))
PY
  # Retries exhausted: item 2 always fails; 1 + 2 attempts, then the run exits 1.
  run_one 2 "${farm[@]}" --set items=5 --set workload.retries=2 --set 'workload.command="[ {item} -ne 2 ]"' -o spent.h5
  code=$?
  [ $code -eq 1 ] && grep -qF 'error: 1 of 5 tasks failed: items 2;' "$work/out" && pass "retries spent: exit 1" \
    || fail "retries spent: exit $code: $(cat "$work/out")"
  pycheck "retries spent: attempts 0, 1, 2 of item 2 in /tasks, items_failed 1" "$work/spent.h5" <<'PY'
a, t = attrs(sys.argv[1]), table(sys.argv[1], "tasks")
expect(a["items_failed"] == 1 and a["items_done"] == 5, a)
rows = sorted((int(i), int(n), int(c)) for i, n, c in zip(t["item"], t["attempt"], t["exit_code"]) if i == 2)
expect(rows == [(2, 0, 1), (2, 1, 1), (2, 2, 1)], rows)
expect(len(t["item"]) == 7, "rows:", len(t["item"]))
PY

  # fail_fast: item 3 fails, the farm stops before the 40 items (20 ms each) are done.
  run_one 2 "${farm[@]}" --set items=40 --set workload.fail_fast=true \
    --set 'workload.command="[ {item} -ne 3 ] || exit 7; sleep 0.02"' -o fast.h5
  code=$?
  [ $code -eq 1 ] && grep -qF 'error: task 3 failed (exit code 7; workload.fail_fast stopped the farm' "$work/out" \
    && pass "fail_fast: exit 1, the error names task 3" || fail "fail_fast: exit $code: $(cat "$work/out")"
  pycheck "fail_fast: timeline incomplete, failed: ..., fewer items than planned" "$work/fast.h5" <<'PY'
a, t = attrs(sys.argv[1]), table(sys.argv[1], "tasks")
expect(a["complete"] == 0 and a["stop_reason"].startswith("failed: task 3 failed"), a["complete"], a["stop_reason"])
expect(a["items_planned"] == 40 and a["items_done"] < 40 and len(t["item"]) < 40, a["items_done"], len(t["item"]))
expect(3 in list(t["item"]), "no row for item 3")
PY
fi

# =================================================================================================
if [ "$part" = stop ]; then
  # stopped SIGNAL THREADS NAME ARGS...: a farm whose tasks touch started.ITEM and then sleep; once two
  # have started, SIGNAL goes to hybridscope. Sets $code and $elapsed_ms.
  stopped() {
    local signal=$1 threads=$2 name=$3; shift 3
    rm -f started.*
    start_bg "$work/$name.out" "$threads" "${farm[@]}" "$@" -o "$name.h5"
    if wait_until $((30 * time_factor)) started 2 && at_least 2 'started.*'; then
      kill -s "$signal" $pid
      finish_bg $((30 * time_factor))
    else
      kill -KILL $pid; wait $pid
      code=none elapsed_ms=0
      fail "$name: no task started: $(cat "$work/$name.out")"
    fi
  }
  for signal in TERM INT USR1; do
    number=$(kill -l $signal)
    stopped $signal 2 "sig$signal" --set items=6 --set 'workload.command="touch started.{item}; sleep 60"'
    [ "$code" = $((128 + number)) ] && [ $elapsed_ms -lt $((5000 * time_factor)) ] &&
      grep -q "warning: stopped early by SIG$signal" "$work/sig$signal.out" \
      && pass "SIG$signal: exit $code after $elapsed_ms ms" \
      || fail "SIG$signal: exit $code after $elapsed_ms ms: $(cat "$work/sig$signal.out")"
    pycheck "SIG$signal: both running tasks ended by SIGTERM (exit_code -1, signal 15), complete = 0" \
      "$work/sig$signal.h5" "$signal" <<'PY'
a, t = attrs(sys.argv[1]), table(sys.argv[1], "tasks")
expect(a["complete"] == 0 and a["stop_reason"] == f"stopped by SIG{sys.argv[2]}", a["complete"], a["stop_reason"])
expect(a["items_done"] == 0 and a["items_failed"] == 0, a["items_done"], a["items_failed"])
expect(sorted(t["item"]) == [0, 1], "items", t["item"])
expect(set(t["exit_code"]) == {-1} and set(t["signal"]) == {15}, t["exit_code"], t["signal"])
expect(items_of(sys.argv[1], "succeeded") == [], "/succeeded", items_of(sys.argv[1], "succeeded"))
PY
    no_group_left "$work/sig$signal.h5" && pass "SIG$signal: no process of the tasks' groups is left (sleep included)" \
      || fail "SIG$signal: processes left: $(ps -eo pid,pgid,cmd | grep '[s]leep 60')"
  done

  # Under mpiexec, both ranks signalled (as Slurm does): each rank stops its tasks.
  rm -f started.*
  OMP_NUM_THREADS=1 "$mpiexec" -np 2 "${mpi_flags[@]}" "$exe" "${farm[@]}" --set items=8 --set strategy=static-cyclic \
    --set 'workload.command="touch started.{item}; sleep 60"' -o mpi.h5 >"$work/mpi.out" 2>&1 </dev/null &
  pid=$!
  if wait_until $((30 * time_factor)) started 2 && at_least 2 'started.*'; then
    # The ranks are mpiexec's children running $exe (each has a watchdog child of its own, left alone).
    kill -TERM $(pgrep -P $pid -f "^$exe run")
    finish_bg $((30 * time_factor))
    [ $code -eq 143 ] && pass "2 ranks: SIGTERM to the ranks, exit 143 after $elapsed_ms ms" \
      || fail "2 ranks: exit $code after $elapsed_ms ms: $(cat "$work/mpi.out")"
    pycheck "2 ranks: one task per rank ended by SIGTERM" "$work/mpi.h5" <<'PY'
a, t = attrs(sys.argv[1]), table(sys.argv[1], "tasks")
expect(a["complete"] == 0 and a["ranks"] == 2, a)
expect(sorted(t["rank"]) == [0, 1] and set(t["signal"]) == {15} and set(t["exit_code"]) == {-1}, t)
PY
  else
    kill -KILL $pid; wait $pid
    fail "2 ranks: no task started: $(cat "$work/mpi.out")"
  fi

  # A task that ignores SIGTERM gets SIGKILL after kill_grace = 1 s.
  stopped TERM 2 grace --set items=4 --set workload.kill_grace=1 \
    --set 'workload.command="trap \"\" TERM; touch started.{item}; sleep 60"'
  [ "$code" = 143 ] && [ $elapsed_ms -ge 900 ] && [ $elapsed_ms -lt $((8000 * time_factor)) ] \
    && pass "TERM ignored: exit 143 after $elapsed_ms ms (kill_grace 1 s)" \
    || fail "TERM ignored: exit $code after $elapsed_ms ms: $(cat "$work/grace.out")"
  pycheck "TERM ignored: the tasks ended by SIGKILL (exit_code -1, signal 9)" "$work/grace.h5" <<'PY'
a, t = attrs(sys.argv[1]), table(sys.argv[1], "tasks")
expect(a["complete"] == 0 and len(t["item"]) == 2, a["complete"], t["item"])
expect(set(t["exit_code"]) == {-1} and set(t["signal"]) == {9}, t["exit_code"], t["signal"])
PY
  no_group_left "$work/grace.h5" && pass "TERM ignored: no process left" \
    || fail "TERM ignored: processes left: $(ps -eo pid,pgid,cmd | grep '[s]leep 60')"
fi

# =================================================================================================
if [ "$part" = resume ]; then
  # Every task appends its item to results/ITEM once it has succeeded; with FARM_SLOW set (only in
  # the environment of the first run, so the input stays the same) items 3 and 13 sleep first and are
  # stopped there.
  mkdir -p results reference/results
  chain='if [ -n \"${FARM_SLOW:-}\" ] && [ $(({item} % 10)) -eq 3 ]; then touch started.{item}; sleep 60; fi; echo {item} >>results/{item}'
  chained=("${farm[@]}" --set items=40 --set "workload.command=\"$chain\"")
  FARM_SLOW=1 start_bg "$work/first.out" 2 "${chained[@]}" -o first.h5
  if wait_until $((30 * time_factor)) started 2 && at_least 2 'started.*'; then
    kill -TERM $pid
    finish_bg $((30 * time_factor))
  else
    kill -KILL $pid; wait $pid; code=none
  fi
  [ "$code" = 143 ] && pass "first run stopped by SIGTERM with items 3 and 13 under way" \
    || fail "first run: exit $code: $(cat "$work/first.out")"
  # The rest, under mpiexec.
  run_mpi 2 2 "${chained[@]}" --resume first.h5 -o second.h5
  code=$?
  [ $code -eq 0 ] && grep -q '^resumed ' "$work/out" && pass "--resume: the rest on 2x2, exit 0" \
    || fail "--resume: exit $code: $(cat "$work/out")"
  cp "$work/out" "$work/second.out"
  # One uninterrupted run for reference, in a folder of its own.
  (cd reference && run_one 2 "${chained[@]}" -o whole.h5)
  # The resumed run's summary gives the farm's totals.
  grep -q "the farm has 40 of 40 succeeded (farm checksum $(checksum_of "$work/out"))" "$work/second.out" \
    && pass "the resumed run's summary gives the whole farm's checksum" \
    || fail "resumed summary: $(cat "$work/second.out"), whole run: $(cat "$work/out")"
  pycheck "the chain: every item ran successfully exactly once, the farm checksum = one whole run's" \
    "$work/first.h5" "$work/second.h5" "$work/reference/whole.h5" "$work/results" <<'PY'
import os
first, second, whole, results = sys.argv[1:5]
a1, a2, aw = attrs(first), attrs(second), attrs(whole)
expect(a1["complete"] == 0 and a1["items_planned"] == 40 and 0 < a1["items_done"] < 40, "first", a1)
s1, s2, c2 = items_of(first, "succeeded"), items_of(second, "succeeded"), items_of(second, "carried")
expect(3 not in s1 and 13 not in s1, "first /succeeded holds a stopped item", s1)
expect(c2 == s1, "second /carried", c2, "first /succeeded", s1)
expect(sorted(s1 + s2) == list(range(40)), "union of /succeeded", sorted(s1 + s2))
expect(a2["items_carried"] == len(s1) and a2["items_planned"] == 40 - len(s1) and a2["items_done"] == 40 - len(s1),
       "second", a2)
expect(a2["complete"] == 1 and a2["resumed_from"] == os.path.abspath(first), a2["complete"], a2["resumed_from"])
expect(a2["checksum_carried"] == a1["checksum_succeeded"], a2["checksum_carried"], a1["checksum_succeeded"])
expect(sorted(table(second, "tasks")["item"]) == s2, "second /tasks holds other items", table(second, "tasks")["item"])
farm = (int(a2["checksum_carried"], 16) + int(a2["checksum_succeeded"], 16)) % 2**64
expect(aw["complete"] == 1 and farm == int(aw["checksum"], 16), f"farm checksum {farm:016x}, whole run {aw['checksum']}")
for item in range(40):
    lines = open(f"{results}/{item}").read().split()
    expect(lines == [str(item)], f"results/{item}: {lines}")
expect(len(os.listdir(results)) == 40, os.listdir(results))
PY

  # Nothing left: exit 0, "nothing to run", no new timeline.
  run_one 2 "${chained[@]}" --resume second.h5 -o third.h5
  code=$?
  [ $code -eq 0 ] && grep -q 'nothing to run' "$work/out" && [ ! -e third.h5 ] && [ "$(cat results/7)" = 7 ] \
    && pass "resume of a finished farm: exit 0, nothing to run" || fail "nothing to run: exit $code: $(cat "$work/out")"
  run_one 2 "${chained[@]}" --resume reference/whole.h5 -o third.h5
  code=$?
  [ $code -eq 0 ] && grep -q 'nothing to run' "$work/out" && pass "resume of a complete uninterrupted farm: nothing to run" \
    || fail "resume of whole.h5: exit $code: $(cat "$work/out")"

  # Refusals, each exit 2 and one line, on both ranks.
  run_ranks 2 1 "${chained[@]}" --set items=41 --resume first.h5 -o other.h5
  [ "$codes" = "2 2" ] && [ "$(wc -l <"$work/out")" -eq 1 ] && grep -q '^hybridscope: error: --resume first.h5: it ran another input: .*items = 41.*items = 40' "$work/out" \
    && [ ! -e other.h5 ] && pass "--resume with another items: exit 2 on both ranks, names the difference" \
    || fail "--resume another input: exit codes '$codes': $(cat "$work/out")"
  echo "not a timeline" >junk.h5
  run_ranks 2 1 "${chained[@]}" --resume junk.h5 -o other.h5
  [ "$codes" = "2 2" ] && [ "$(wc -l <"$work/out")" -eq 1 ] && grep -q '^hybridscope: error: .*junk.h5' "$work/out" \
    && pass "--resume of a file that is not a timeline: exit 2" || fail "--resume junk: exit codes '$codes': $(cat "$work/out")"
  head -c 3000 first.h5 >cut.h5
  run_one 1 "${chained[@]}" --resume cut.h5 -o other.h5
  code=$?
  [ $code -eq 2 ] && [ "$(wc -l <"$work/out")" -eq 1 ] && grep -q 'cut.h5' "$work/out" \
    && pass "--resume of a truncated timeline: exit 2" || fail "--resume truncated: exit $code: $(cat "$work/out")"
  run_one 1 "${chained[@]}" --resume missing.h5 -o other.h5
  code=$?
  [ $code -eq 2 ] && grep -q 'missing.h5' "$work/out" && pass "--resume of a missing file: exit 2" \
    || fail "--resume missing: exit $code: $(cat "$work/out")"
  # A task file changed since: refused.
  printf 'true\nfalse\ntrue\n' >tasks.txt
  printf '[workload]\nkind = "command"\ntasks = "tasks.txt"\n' >tasks.toml
  run_one 1 run tasks.toml -o tasks1.h5
  printf 'true\ntrue\ntrue\n' >tasks.txt
  run_one 1 run tasks.toml --resume tasks1.h5 -o tasks2.h5
  code=$?
  [ $code -eq 2 ] && grep -q "the task file .* changed since" "$work/out" && pass "--resume after the task file changed: exit 2" \
    || fail "--resume changed task file: exit $code: $(cat "$work/out")"

  # A built-in kind: a sleep farm stopped part way, then resumed on 2 ranks. Its items leave no mark
  # outside, so the stop comes after a delay; a stop before the first item or after the last (a slow
  # start, a loaded machine) is tried again with another delay.
  sleeps=(run --set workload.kind=sleep --set workload.seconds=0.1 --set items=40)
  part_way() { /usr/bin/python3 -c 'import sys, h5py; d = h5py.File(sys.argv[1], "r").attrs["items_done"]; sys.exit(not 0 < d < 40)' "$1" 2>/dev/null; }
  for delay in 0.6 1.0 0.3 1.5; do
    rm -f sleep1.h5
    start_bg "$work/sleep1.out" 2 "${sleeps[@]}" -o sleep1.h5
    sleep $delay
    kill -TERM $pid
    finish_bg $((30 * time_factor))
    [ $code -eq 143 ] && part_way sleep1.h5 && break
  done
  [ $code -eq 143 ] && part_way sleep1.h5 && pass "sleep workload stopped part way by SIGTERM (after $delay s)" \
    || fail "sleep workload: exit $code, not stopped part way: $(cat "$work/sleep1.out")"
  run_mpi 2 1 "${sleeps[@]}" --resume sleep1.h5 -o sleep2.h5
  code=$?
  [ $code -eq 0 ] && pass "sleep workload: --resume exit 0" || fail "sleep --resume: exit $code: $(cat "$work/out")"
  run_mpi 2 2 "${sleeps[@]}" -o sleepwhole.h5
  pycheck "sleep workload: /succeeded of the two runs cover every item once, farm checksum = whole run's" \
    "$work/sleep1.h5" "$work/sleep2.h5" "$work/sleepwhole.h5" <<'PY'
first, second, whole = sys.argv[1:4]
a1, a2, aw = attrs(first), attrs(second), attrs(whole)
s1, s2 = items_of(first, "succeeded"), items_of(second, "succeeded")
expect(a1["complete"] == 0 and 0 < len(s1) < 40, "first run not part way: complete", a1["complete"], "succeeded", s1)
expect(sorted(s1 + s2) == list(range(40)), "union", sorted(s1 + s2))
expect(items_of(second, "carried") == s1 and a2["items_carried"] == len(s1) and a2["complete"] == 1, a2)
farm = (int(a2["checksum_carried"], 16) + int(a2["checksum_succeeded"], 16)) % 2**64
expect(farm == int(aw["checksum"], 16), f"farm checksum {farm:016x}, whole run {aw['checksum']}")
expect(len(table(second, "tasks")["item"]) == 0, "a sleep run has /tasks rows")
PY
fi

# =================================================================================================
if [ "$part" = bad-input ]; then
  # expect_bad NAME WORD ARGS...: on one rank and on 2 ranks x 2 threads, exit 2 (every rank), one
  # line containing WORD, within 30 s, and no task ran (no ran.* file, no timeline).
  expect_bad() {
    local name=$1 word=$2 start seconds code; shift 2
    rm -rf ran.* bad.h5 bad.tasks
    run_one 2 "$@" -o bad.h5
    code=$?
    if [ $code -eq 2 ] && [ "$(wc -l <"$work/out")" -eq 1 ] && grep -q '^hybridscope: error: ' "$work/out" &&
       grep -qF -- "$word" "$work/out" && ! at_least 1 'ran.*' && [ ! -e bad.h5 ]; then
      pass "$name (1 rank): $(cat "$work/out")"
    else
      fail "$name (1 rank): exit $code: $(cat "$work/out")"
    fi
    start=$(date +%s)
    run_ranks 2 2 "$@" -o bad.h5
    seconds=$(( $(date +%s) - start ))
    if [ "$codes" = "2 2" ] && [ $launcher -eq 0 ] && [ "$(wc -l <"$work/out")" -eq 1 ] && grep -qF -- "$word" "$work/out" &&
       [ $seconds -le $((30 * time_factor)) ] && ! at_least 1 'ran.*' && [ ! -e bad.h5 ]; then
      pass "$name (2 ranks): exit 2 on both"
    else
      fail "$name (2 ranks): launcher $launcher after $seconds s, exit codes '$codes': $(cat "$work/out")"
    fi
  }
  ok='workload.command="touch ran.{item}"'
  expect_bad "missing task file" "$work/none.txt\": cannot open" "${farm[@]}" --set workload.tasks="$work/none.txt"
  printf '# only comments\n\n   # and blanks\n\n' >comments.txt
  expect_bad "task file of comments only" "holds no command" "${farm[@]}" --set workload.tasks="$work/comments.txt"
  printf 'touch ran.0\ntouch ran.1\ntouch ran.2\n' >three.txt
  expect_bad "items disagrees with the task file" "key 'items' = 5: the task file \"$work/three.txt\" holds 3 commands" \
    "${farm[@]}" --set workload.tasks="$work/three.txt" --set items=5
  expect_bad "task file is a folder" "is a directory" "${farm[@]}" --set workload.tasks="$work"
  expect_bad "command and tasks" "needs exactly one of them" "${farm[@]}" --set workload.tasks="$work/three.txt" --set "$ok"
  expect_bad "neither command nor tasks" "needs exactly one of them" "${farm[@]}"
  touch plain_file
  expect_bad "output folder under a regular file" "key 'workload.output' = \"$work/plain_file/sub\"" \
    "${farm[@]}" --set "$ok" --set items=3 --set workload.output="$work/plain_file/sub"
  mkdir -p used && echo old >used/keep.txt
  expect_bad "output folder not empty" "is not empty" "${farm[@]}" --set "$ok" --set items=3 --set workload.output="$work/used"
  expect_bad "retries negative" "workload.retries" "${farm[@]}" --set "$ok" --set workload.retries=-1
  expect_bad "kill_grace negative" "workload.kill_grace" "${farm[@]}" --set "$ok" --set workload.kill_grace=-1
  expect_bad "fail_fast not a boolean" "workload.fail_fast" "${farm[@]}" --set "$ok" --set workload.fail_fast=3
  expect_bad "empty command" "workload.command" "${farm[@]}" --set 'workload.command=""'
  [ "$(cat used/keep.txt)" = old ] && pass "the folder that was not empty is untouched" || fail "used/ changed: $(ls -la used)"
  # --force lets a farm reuse a folder that is not empty.
  run_one 2 "${farm[@]}" --set "$ok" --set items=3 --set workload.output="$work/used" --force -o forced.h5
  [ $? -eq 0 ] && [ -e ran.2 ] && pass "--force reuses an output folder that is not empty" || fail "--force: $(cat "$work/out")"

  # A template without {item} on more than one item: a warning, and it runs.
  rm -f ran.*
  run_mpi 2 1 "${farm[@]}" --set items=4 --set 'workload.command="echo same >>ran.same"' -o same.h5
  code=$?
  [ $code -eq 0 ] && [ "$(grep -c "warning: .*has no {item} placeholder: all 4 items run the same command" "$work/out")" -eq 1 ] &&
    [ "$(wc -l <ran.same)" -eq 4 ] && pass "template without {item}: one warning, all 4 items run" \
    || fail "template without {item}: exit $code: $(cat "$work/out")"
  run_one 1 "${farm[@]}" --set items=1 --set 'workload.command="true"' -o single.h5
  [ $? -eq 0 ] && ! grep -q warning "$work/out" && pass "template without {item} on one item: no warning" \
    || fail "one item without {item}: $(cat "$work/out")"
fi

# =================================================================================================
if [ "$part" = orphans ]; then
  # Compound tasks whose last process (sleep) is a grandchild; the marker is in the task file only,
  # so that it names the tasks' shells and not hybridscope.
  marker=farm-orphan-$$-$RANDOM
  for i in 0 1 2 3 4 5; do echo "touch started.\$HYBRIDSCOPE_ITEM; sh -c 'sleep 300; true $marker-$i'; true"; done >orphans.txt
  # orphans_gone NAME: within 10 s no process with the marker, nor any of their process groups, is left.
  orphans_gone() {
    if wait_until $((10 * time_factor)) eval '! pgrep -f "$marker" >/dev/null && [ -z "$(group_members "$groups")" ]'; then
      pass "$1: no task process left"
    else
      fail "$1: left running: $(pgrep -af "$marker") $(group_members "$groups")"
      pkill -KILL -f "$marker"  # our own tasks, named by this run's marker
    fi
  }
  # task_groups: the process groups of the marker's processes (their sleep is in the same group).
  task_groups() { pgrep -f "$marker" | xargs -r ps -o pgid= -p | sort -u | xargs; }
  # Two marker shells (and their sleeps) of each task: wait until pgrep sees them.
  running() { [ "$(pgrep -f "$marker" | wc -l)" -ge "$1" ] && [ "$(pgrep -x sleep -g "$(task_groups | tr ' ' ,)" | wc -l)" -ge "$1" ]; }

  start_bg "$work/one.out" 2 "${farm[@]}" --set workload.tasks="$work/orphans.txt" \
    --set items=6 -o one.h5
  if wait_until $((30 * time_factor)) eval 'running 2 || ! kill -0 $pid 2>/dev/null' && running 2; then
    groups=$(task_groups)
    kill -KILL $pid
    { wait $pid; } 2>/dev/null
    orphans_gone "SIGKILL of hybridscope (1 rank x 2 threads)"
  else
    kill -KILL $pid; wait $pid
    fail "1 rank: the tasks never ran: $(cat "$work/one.out")"
  fi

  rm -f started.*
  OMP_NUM_THREADS=1 "$mpiexec" -np 2 "${mpi_flags[@]}" "$exe" "${farm[@]}" --set workload.tasks="$work/orphans.txt" \
    --set items=6 --set strategy=static-cyclic -o two.h5 >"$work/two.out" 2>&1 </dev/null &
  pid=$!
  if wait_until $((30 * time_factor)) eval 'running 2 || ! kill -0 $pid 2>/dev/null' && running 2; then
    groups=$(task_groups)
    kill -KILL $(pgrep -P $pid -f "^$exe run")  # the ranks (their watchdogs are their children)
    finish_bg $((30 * time_factor))
    [ $code -ne 0 ] && pass "2 ranks SIGKILLed: mpiexec exits $code" || fail "2 ranks SIGKILLed: mpiexec exit 0"
    orphans_gone "SIGKILL of both ranks under mpiexec"
  else
    kill -KILL $pid; wait $pid
    fail "2 ranks: the tasks never ran: $(cat "$work/two.out")"
  fi
fi

case $part in
  basics | failures | stop | resume | bad-input | orphans) ;;
  *) fail "unknown part '$part'" ;;
esac
[ $failures -eq 0 ] && echo "all farm tests ($part) passed" || echo "$failures farm test(s) ($part) failed"
exit $failures
