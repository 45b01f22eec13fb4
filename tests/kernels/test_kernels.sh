#!/usr/bin/env bash
# User kernels end to end (docs/kernels.md): plug-ins in C, C++ and Fortran and Python functions give
# the serial reference checksum (tests/kernels/reference.py, which calls the kernel without the
# driver) in every layout; every failure ends every rank with the documented exit code and one line;
# a crash ends the job without a hang and names the rank; a stop abandons a Python item under way;
# the timeline of a user kernel reads back with `report`; `study DECK` compares the layouts of a
# plug-in deck and of a Python deck, and refuses a bad deck before anything runs.
# Usage: test_kernels.sh HYBRIDSCOPE MPIEXEC EXAMPLES_DIR TEST_KERNELS_DIR PART
#   EXAMPLES_DIR: the built example plug-ins (build/examples/kernels); TEST_KERNELS_DIR: the built
#   test plug-ins; PART: plugin, plugin-failures, python or python-failures.
set -u
exe=$1 mpiexec=$2 examples=$3 test_kernels=$4 part=$5
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
reference=(/usr/bin/python3 "$here/reference.py")
source "$(dirname "$0")/../lib.sh"
enter_work_dir

# run_layout NP THREADS ARGS...: output in $work/out.
run_layout() {
  local np=$1 threads=$2; shift 2
  OMP_NUM_THREADS=$threads timeout $((120 * time_factor)) "$mpiexec" -np "$np" "${mpi_flags[@]}" "$exe" "$@" \
    >"$work/out" 2>&1
}

# same_everywhere NAME EXPECTED ARGS...: 1x1, 1x2 and 2x1 (and 2x2 with static-cyclic) all give EXPECTED.
same_everywhere() {
  local name=$1 expected=$2; shift 2
  local layout np nt got
  for layout in 1x1 1x2 2x1; do
    np=${layout%x*} nt=${layout#*x}
    run_layout "$np" "$nt" run "$@"
    got=$(checksum_of "$work/out")
    if [ -n "$expected" ] && [ "$got" = "$expected" ]; then
      pass "$name $layout: checksum $got = serial reference"
    else
      fail "$name $layout: checksum '$got', serial reference '$expected': $(cat "$work/out")"
    fi
  done
}

# Each rank records its own exit code, so that mpiexec's aggregation cannot hide a rank that hung or
# exited 0 (as in tests/cli/test_cli.sh).
cat >"$work/wrap.sh" <<'WRAP'
"$@"
echo $? >"$WRAP_DIR/rank.${OMPI_COMM_WORLD_RANK:-0}"
WRAP
# expect_failure NAME CODE LINES WORD ARGS...: 3 ranks x 2 threads, every rank exits CODE, the output
# has LINES lines (0: any number) and contains WORD, within 30 s.
expect_failure() {
  local name=$1 code=$2 want_lines=$3 word=$4 start; shift 4
  rm -f "$work"/rank.* "$work"/hybridscope-*.h5
  start=$(date +%s)
  OMP_NUM_THREADS=2 WRAP_DIR=$work timeout $((60 * time_factor)) "$mpiexec" -np 3 "${mpi_flags[@]}" -x WRAP_DIR \
    bash "$work/wrap.sh" "$exe" "$@" >"$work/out" 2>&1
  local launcher=$? codes lines seconds=$(( $(date +%s) - start ))
  codes=$(cat "$work"/rank.* 2>/dev/null | sort | uniq -c | xargs)
  lines=$(wc -l <"$work/out")
  if [ $launcher -ne 0 ] || [ "$codes" != "3 $code" ] || { [ "$want_lines" -ne 0 ] && [ "$lines" -ne "$want_lines" ]; } ||
     [ "$seconds" -gt $((30 * time_factor)) ] || ! grep -qF -- "$word" "$work/out" ||
     ! grep -q '^hybridscope: error: ' "$work/out"; then
    fail "$name: launcher $launcher after $seconds s, exit codes per rank '$codes', $lines lines: $(cat "$work/out")"
  else
    pass "$name: exit $code on every rank: $(head -n 1 "$work/out")"
  fi
}

# stopped_by_term NAME THREADS ARGS...: runs `exe ARGS -o stop.h5` until its item has begun (the
# kernel touches $HYBRIDSCOPE_TEST_MARK), sends SIGTERM, and expects exit 143 and a timeline marked
# incomplete.
stopped_by_term() {
  local name=$1 threads=$2 pid code; shift 2
  rm -f "$work/mark" "$work/stop.h5"
  HYBRIDSCOPE_TEST_MARK=$work/mark OMP_NUM_THREADS=$threads timeout $((60 * time_factor)) "$exe" "$@" \
    -o "$work/stop.h5" >"$work/out" 2>&1 &
  pid=$!
  if wait_until $((30 * time_factor)) test -f "$work/mark"; then
    # To hybridscope itself: timeout passes a SIGTERM it gets on to its child and again to its process
    # group, and a second SIGTERM means "give up on a clean stop".
    pkill -TERM -P $pid
    wait $pid
    code=$?
    [ $code -eq 143 ] && [ -f "$work/stop.h5" ] &&
      /usr/bin/python3 -c 'import sys, h5py; sys.exit(int(h5py.File(sys.argv[1], "r").attrs["complete"]) != 0)' "$work/stop.h5" \
      && pass "$name: exit 143, timeline marked incomplete" \
      || fail "$name: exit $code: $(cat "$work/out")"
  else
    kill -KILL $pid 2>/dev/null
    fail "$name: the item never started: $(cat "$work/out")"
  fi
}

# failed_timeline NAME: an item failed, so the run wrote its timeline, marked incomplete with the failure.
failed_timeline() {
  local files=("$work"/hybridscope-*.h5)
  if [ ${#files[@]} -eq 1 ] && [ -f "${files[0]}" ] && /usr/bin/python3 -c '
import sys, h5py
a = h5py.File(sys.argv[1], "r").attrs
sys.exit(not (a["complete"] == 0 and a["stop_reason"].decode().startswith("failed: rank ")))' "${files[0]}"; then
    pass "$1: the timeline is written, marked incomplete with the failure"
  else
    fail "$1: no timeline marked incomplete with the failure: ${files[*]}"
  fi
}

# deck_study NAME REFERENCE DECK ARGS...: `study DECK ARGS` on 1, 2 and 4 workers: the six layouts
# (threads, processes, hybrid 2x2) each left a complete timeline of its layout with the serial
# reference checksum, the conclusions say so, and summary.json names the deck by its absolute path.
deck_study() {
  local name=$1 expected=$2 deck=$3 folder=$work/study-$1; shift 3
  timeout $((300 * time_factor)) "$exe" study "$deck" --max-workers 4 --launcher "$mpiexec" -o "$folder" "$@" \
    >"$work/out" 2>&1 || { fail "study $name: exit $?: $(cat "$work/out")"; return; }
  local layouts=(1x1 1x2 2x1 1x4 2x2 4x1) stem layout
  stem=$(basename "$deck" .toml)
  for layout in "${layouts[@]}"; do
    /usr/bin/python3 "$here/../python/check_timeline.py" "$folder/$stem-$layout.h5" --ranks "${layout%x*}" \
      --threads "${layout#*x}" || { fail "study $name: $stem-$layout.h5"; return; }
  done
  if /usr/bin/python3 - "$folder" "$stem" "$expected" "$deck" "${layouts[@]}" <<'PY'
import json, os, sys, h5py
folder, stem, expected, deck, layouts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
deck = os.path.normpath(os.path.abspath(deck))  # as hybridscope makes it absolute: no symlinks resolved
summary = json.load(open(f"{folder}/summary.json"))
sums = {h5py.File(f"{folder}/{stem}-{l}.h5", "r").attrs["checksum"].decode() for l in layouts}
assert sums == {expected}, (sums, expected)
assert [r["name"] for r in summary["runs"]] == [f"{stem}-{l}" for l in layouts], summary["runs"]
assert summary["input"] == deck and summary["title"].startswith(f"study {deck}: "), (summary["input"], deck)
assert any(f"checksum {expected} in all 6 complete runs" in c for c in summary["conclusions"]), summary["conclusions"]
assert any(c.startswith("4 workers, fastest: ") for c in summary["conclusions"]), summary["conclusions"]
PY
  then pass "study $name: 6 layouts complete, checksum $expected in each, the deck in summary.json"
  else fail "study $name: $(cat "$work/out")"
  fi
}

# bad_study NAME WORD ARGS...: `study ARGS` ends at once with exit 2 and one line containing WORD,
# and launches nothing (no output folder).
bad_study() {
  local name=$1 word=$2 code; shift 2
  timeout $((30 * time_factor)) "$exe" study "$@" --launcher "$mpiexec" -o "$work/bad-study" >"$work/out" 2>&1
  code=$?
  if [ $code -eq 2 ] && [ "$(wc -l <"$work/out")" -eq 1 ] && grep -qF -- "$word" "$work/out" && [ ! -e "$work/bad-study" ]
  then pass "study $name: exit 2 before any run: $(cat "$work/out")"
  else fail "study $name: exit $code: $(cat "$work/out")"
  fi
}

if [ "$part" = plugin ]; then
  # The three examples with their own arguments, and the issue's minimal contract.
  ref=$("${reference[@]}" plugin "$examples/libmandelbrot.so" "width=120 height=90 max_iter=300" 90)
  same_everywhere "C mandelbrot" "$ref" "$source_dir/examples/kernels/mandelbrot.toml" --set items=90 \
    --set workload.library="$examples/libmandelbrot.so" --set 'workload.args="width=120 height=90 max_iter=300"'
  run_layout 2 2 run "$source_dir/examples/kernels/mandelbrot.toml" --set items=90 --set strategy=static-cyclic \
    --set workload.library="$examples/libmandelbrot.so" --set 'workload.args="width=120 height=90 max_iter=300"'
  [ "$(checksum_of "$work/out")" = "$ref" ] && pass "C mandelbrot 2x2 static-cyclic" \
    || fail "C mandelbrot 2x2 static-cyclic: $(cat "$work/out")"
  ref=$("${reference[@]}" plugin "$examples/libsort.so" "size=20000" 40)
  same_everywhere "C++ sort" "$ref" "$source_dir/examples/kernels/sort.toml" --set items=40 \
    --set workload.library="$examples/libsort.so" --set workload.args=size=20000
  if [ -f "$examples/libheat.so" ]; then
    ref=$("${reference[@]}" plugin "$examples/libheat.so" "" 24)
    same_everywhere "Fortran heat" "$ref" "$source_dir/examples/kernels/heat.toml" --set items=24 \
      --set workload.library="$examples/libheat.so"
  else
    echo "skip: no Fortran compiler, no Fortran example"
  fi
  ref=$("${reference[@]}" plugin "$test_kernels/libminimal.so" "" 50)
  same_everywhere "minimal (the issue's three functions)" "$ref" --set items=50 --set workload.kind=plugin \
    --set workload.library="$test_kernels/libminimal.so"
  run_layout 1 2 run --set items=50 --set workload.kind=plugin --set workload.library="$test_kernels/libno_abi_mark.so"
  [ "$(checksum_of "$work/out")" = "$ref" ] && pass "a plug-in without the ABI mark is ABI 1" \
    || fail "no ABI mark: $(cat "$work/out")"

  # Paths: a deck's relative to the deck's folder (run from elsewhere), --set's to the working directory.
  mkdir -p "$work/decks/sub" "$work/decks/lib" "$work/elsewhere"
  cp "$test_kernels/libminimal.so" "$work/decks/lib/"
  printf 'items = 50\n[workload]\nkind = "plugin"\nlibrary = "../lib/libminimal.so"\n' >"$work/decks/sub/k.toml"
  (cd "$work/elsewhere" && run_layout 1 1 run ../decks/sub/k.toml)
  [ "$(checksum_of "$work/out")" = "$ref" ] && pass "deck path relative to the deck" \
    || fail "deck path relative to the deck: $(cat "$work/out")"
  (cd "$work/decks" && run_layout 1 1 run sub/k.toml --set workload.library=lib/libminimal.so)
  [ "$(checksum_of "$work/out")" = "$ref" ] && pass "--set path relative to the working directory" \
    || fail "--set path relative to the working directory: $(cat "$work/out")"

  # The timeline of a plug-in run reads back.
  run_layout 2 1 run --set items=50 --set workload.kind=plugin --set workload.library="$test_kernels/libminimal.so" \
    -o "$work/plugin.h5"
  if "$exe" report "$work/plugin.h5" >"$work/report" 2>&1 && grep -q 'plugin' "$work/report"; then
    pass "report reads a plug-in timeline"
  else
    fail "report of a plug-in timeline: $(cat "$work/out" "$work/report")"
  fi

  # study on a plug-in deck whose library path is relative to the deck, from another folder.
  mkdir -p "$work/decks/mandel/lib"
  cp "$examples/libmandelbrot.so" "$work/decks/mandel/lib/"
  printf 'items = 60\n[workload]\nkind = "plugin"\nlibrary = "lib/libmandelbrot.so"\nargs = "width=80 height=60 max_iter=200"\n' \
    >"$work/decks/mandel/mandel.toml"
  ref=$("${reference[@]}" plugin "$examples/libmandelbrot.so" "width=80 height=60 max_iter=200" 60)
  cd "$work/elsewhere" && deck_study "plug-in deck" "$ref" ../decks/mandel/mandel.toml
  cd "$work" || exit 1
fi

if [ "$part" = plugin-failures ]; then
  plugin=(run --set items=40 --set workload.kind=plugin)
  expect_failure "missing library" 2 1 "$work/nowhere.so" "${plugin[@]}" --set workload.library="$work/nowhere.so"
  expect_failure "not a plug-in" 2 1 "is not a hybridscope plug-in" "${plugin[@]}" \
    --set workload.library="$test_kernels/libnot_a_plugin.so"
  expect_failure "wrong ABI" 2 1 "built for kernel ABI 2" "${plugin[@]}" \
    --set workload.library="$test_kernels/libwrong_abi.so"
  expect_failure "no library key" 2 1 "workload.library" "${plugin[@]}"
  faulty=("${plugin[@]}" --set workload.library="$test_kernels/libfaulty.so")
  expect_failure "rank setup fails on rank 1" 1 1 "rank 1: plugin" "${faulty[@]}" --set workload.args=rank_setup_fail=1
  expect_failure "setup fails on thread 1" 1 0 "no resources on thread 1" "${faulty[@]}" --set workload.args=setup_fail=1
  failed_timeline "setup fails on thread 1"
  expect_failure "item fails" 1 0 "item 17 failed" "${faulty[@]}" --set workload.args=item_fail=17
  failed_timeline "item fails"
  expect_failure "item fails (static-block)" 1 0 "item 17 failed" "${faulty[@]}" --set workload.args=item_fail=17 \
    --set strategy=static-block
  failed_timeline "item fails (static-block)"
  # study on a bad deck, or with an option a deck cannot take: one line, exit 2, nothing launched.
  bad_study "missing deck" "$work/none.toml" "$work/none.toml"
  printf 'items = \n' >"$work/broken.toml"
  bad_study "deck that does not parse" "$work/broken.toml" "$work/broken.toml"
  printf 'items = 4\n[workload]\nkind = "plugin"\n' >"$work/nolib.toml"
  bad_study "deck without workload.library" "workload.library" "$work/nolib.toml"
  bad_study "--scale on a deck" "--scale applies to the built-in studies" "$source_dir/inputs/demo.toml" --scale 0.5
  bad_study "--set on a built-in study" "--set applies to a study of an input deck" fib --set items=4
  bad_study "unknown study" "unknown study 'gill'" gill
  # A segfault: the job ends (no hang), and a line names the rank and the signal.
  start=$(date +%s)
  OMP_NUM_THREADS=2 timeout $((60 * time_factor)) "$mpiexec" -np 3 "${mpi_flags[@]}" "$exe" "${faulty[@]}" \
    --set workload.args=segv=17 --set strategy=static-block >"$work/out" 2>&1
  code=$? seconds=$(( $(date +%s) - start ))
  if [ $code -ne 0 ] && [ $code -ne 124 ] && grep -Eq '^hybridscope\[rank 1\]: error: in the plug-in kernel .*libfaulty.so crashed with SIGSEGV$' "$work/out"; then
    pass "segfault on rank 1 ends the job in $seconds s (mpiexec exit $code) and names the rank"
  else
    fail "segfault: exit $code after $seconds s: $(cat "$work/out")"
  fi
  # A stop: context->stopped() turns non-zero, the item returns early and is not counted.
  stopped_by_term "SIGTERM: stopped() ends a plug-in item" 2 "${faulty[@]}" --set workload.args=wait_stop=3
fi

values=$here/values.py
python=(--set items=40 --set workload.kind=python --set workload.file="$values")
if [ "$part" = python ]; then
  for fn in work as_int as_big_int as_negative as_float as_str as_bytes as_none; do
    ref=$("${reference[@]}" python "$values" $fn 40)
    same_everywhere "python $fn" "$ref" "${python[@]}" --set workload.function=$fn
  done
  ref=$("${reference[@]}" python "$values" sleeper 40)
  run_layout 1 4 run "${python[@]}" --set workload.function=sleeper -o "$work/sleep.h5"
  [ "$(checksum_of "$work/out")" = "$ref" ] && pass "python sleeper on 4 threads" \
    || fail "python sleeper: $(cat "$work/out")"
  # The shipped deck (a path relative to inputs/), and a module found through PYTHONPATH.
  run_layout 1 2 run "$source_dir/inputs/python_gil.toml" --set items=4 -o "$work/gil.h5"
  grep -q '^checksum' "$work/out" && pass "inputs/python_gil.toml" || fail "inputs/python_gil.toml: $(cat "$work/out")"
  ref=$("${reference[@]}" python "$values" as_str 40)
  PYTHONPATH=$here run_layout 2 1 run --set items=40 --set workload.kind=python --set workload.module=values \
    --set workload.function=as_str
  [ "$(checksum_of "$work/out")" = "$ref" ] && pass "workload.module through PYTHONPATH" \
    || fail "workload.module: $(cat "$work/out")"
  # An active virtualenv's site-packages come first.
  mkdir -p "$work/venv/lib/python3.11/site-packages"
  printf 'def work(item):\n    return "venv-%%d" %% item\n' >"$work/venv/lib/python3.11/site-packages/venv_only.py"
  VIRTUAL_ENV=$work/venv run_layout 1 1 run --set items=8 --set workload.kind=python --set workload.module=venv_only
  grep -q '^checksum' "$work/out" && pass "VIRTUAL_ENV honoured" || fail "VIRTUAL_ENV: $(cat "$work/out")"
  # The GIL wait is recorded: a CPU-bound function on 1 rank x 2 threads waits for the lock.
  run_layout 1 2 run "${python[@]}" --set workload.function=work -o "$work/work.h5"
  if "$exe" report "$work/work.h5" >"$work/report" 2>&1 && /usr/bin/python3 - "$work/work.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    g = f["intervals"]
    codes = h5py.check_enum_dtype(g["kind"].dtype)
    kind, item = g["kind"][()], g["item"][()]
    waits = np.sort(item[kind == codes["lock_wait"]])
    works = np.sort(item[kind == codes["work"]])
    # Every item: one lock_wait row (taking the GIL), then one work row.
    sys.exit(0 if list(waits) == list(range(40)) and list(works) == list(range(40)) else 1)
PY
  then pass "report reads a Python timeline; every item has its GIL wait (lock_wait) and its work"
  else fail "python timeline/lock_wait: $(cat "$work/out" "$work/report" | head -40)"
  fi
  # study on the shipped Python deck (its file relative to inputs/), from the test's folder.
  ref=$("${reference[@]}" python "$source_dir/examples/kernels/seeds.py" work 8)
  deck_study "python deck" "$ref" "$source_dir/inputs/python_gil.toml" --set items=8
  # A stop abandons a Python item under way (an asynchronous exception), and the timeline is written.
  stopped_by_term "SIGTERM abandons a running Python item" 1 run --set items=2 --set workload.kind=python \
    --set workload.file="$values" --set workload.function=forever
fi

if [ "$part" = python-failures ]; then
  expect_failure "python exception" 1 0 "boom(item=5) raised ValueError: item five is cursed" run "${python[@]}" \
    --set workload.function=boom
  failed_timeline "python exception"
  grep -q 'Traceback (most recent call last)' "$work/out" && pass "the traceback is shown" \
    || fail "no traceback: $(cat "$work/out")"
  expect_failure "python syntax error" 2 1 "SyntaxError" run "${python[@]}" --set workload.file="$here/syntax_error.py"
  expect_failure "python missing function" 2 1 "has no function 'nothing_here'" run "${python[@]}" \
    --set workload.function=nothing_here
  expect_failure "python not a function" 2 1 "has no function 'not_a_function'" run "${python[@]}" \
    --set workload.function=not_a_function
  expect_failure "python missing file" 2 1 "does not exist" run "${python[@]}" --set workload.file="$work/none.py"
  expect_failure "python missing module" 2 1 "No module named" run --set workload.kind=python \
    --set workload.module=no_such_module_here
  expect_failure "python bad return type" 1 0 "type 'list'" run "${python[@]}" --set workload.function=as_list
  failed_timeline "python bad return type"
  expect_failure "python file and module" 2 1 "exactly one" run "${python[@]}" --set workload.module=values
fi

[ $failures -eq 0 ] && echo "all kernel tests passed" || echo "$failures kernel test(s) failed"
exit $failures
