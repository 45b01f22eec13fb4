#!/usr/bin/env bash
# The hybridscope executable end to end: help and version, every shipped input, the same checksum
# for every layout and strategy, and bad input ending every rank with exit code 2 and one line.
# Usage: test_cli.sh HYBRIDSCOPE MPIEXEC INPUTS_DIR [PART]
# PART (default all): basics, checksums, bad-input or files; ctest runs the parts as separate tests,
# side by side.
set -u
exe=$1 mpiexec=$2 inputs=$3 part=${4:-all}
check_timeline=$(cd "$(dirname "$0")/../python" && pwd)/check_timeline.py
source "$(dirname "$0")/../lib.sh"
enter_work_dir

want() { [ "$part" = all ] || [ "$part" = "$1" ]; }

# Runs hybridscope on NP ranks and T threads; stdout+stderr go to $work/out.
run_layout() {
  local np=$1 threads=$2; shift 2
  OMP_NUM_THREADS=$threads timeout $((120 * time_factor)) "$mpiexec" -np "$np" "${mpi_flags[@]}" "$exe" "$@" \
    >"$work/out" 2>&1
}

# --- help and version -------------------------------------------------------------------------
if want basics; then
"$exe" --version >"$work/out" 2>&1 && grep -Eq '^hybridscope [0-9]+\.[0-9]+\.[0-9]+$' "$work/out" \
  && pass "--version" || fail "--version: $(cat "$work/out")"
"$exe" --help >"$work/out" 2>&1 && grep -q 'run' "$work/out" && pass "--help" || fail "--help"
"$exe" run --help >"$work/out" 2>&1 && grep -q -- '--set' "$work/out" && pass "run --help" \
  || fail "run --help"
"$exe" >"$work/out" 2>&1; [ $? -eq 2 ] && pass "no subcommand exits 2" || fail "no subcommand"

# --- the built-in default as a plain singleton, and under mpiexec -------------------------------
OMP_NUM_THREADS=2 timeout $((120 * time_factor)) "$exe" run >"$work/single" 2>&1 || fail "singleton default run: $(cat "$work/single")"
reference=$(checksum_of "$work/single")
[ -n "$reference" ] && grep -q '^layout  *1 rank x 2 threads' "$work/single" \
  && pass "singleton default run" || fail "singleton default run: $(cat "$work/single")"
run_layout 2 1 run && [ "$(checksum_of "$work/out")" = "$reference" ] \
  && grep -q '^layout  *2 ranks x 1 thread ' "$work/out" && pass "default run on 2 ranks" \
  || fail "default run on 2 ranks: $(cat "$work/out")"

# --- every shipped input runs, shortened where it would take long -----------------------------
for input in "$inputs"/*.toml; do
  head -n 1 "$input" | grep -q '^# ' || fail "$input: first line is not a comment saying what it shows"
  extra=() status=0
  case $(basename "$input") in
    io_sleep.toml) extra=(--set workload.seconds=0.05) ;;
    triad.toml) extra=(--set items=20) ;;
    task_list.toml) status=1 ;;  # one of its tasks fails on purpose: the farm goes on, exits 1, names it
  esac
  (cd "$work" && run_layout 2 2 run "$input" "${extra[@]}")
  [ $? -eq $status ] && grep -q '^checksum' "$work/out" \
    && pass "input $(basename "$input")" || fail "input $input: $(cat "$work/out")"
done
fi

# --- one checksum for every layout and strategy -----------------------------------------------
if want checksums; then
base=(run "$inputs/irregular.toml" --set items=301 --set workload.seconds=0.0002)
run_layout 1 1 "${base[@]}" --set strategy=static-block
expected=$(checksum_of "$work/out")
[ -n "$expected" ] || fail "irregular reference run: $(cat "$work/out")"
for layout in "1 3" "2 1" "3 2" "4 1"; do
  for strategy in static-block static-cyclic dynamic guided; do
    # shellcheck disable=SC2086
    run_layout $layout "${base[@]}" --set strategy=$strategy --set chunk=7
    got=$(checksum_of "$work/out")
    [ "$got" = "$expected" ] && grep -q "^checksum .*(301 items)" "$work/out" \
      && pass "checksum ${layout/ / ranks x } threads $strategy" \
      || fail "checksum ${layout/ / ranks x } threads $strategy: '$got' != '$expected'"
  done
done
fi

# --- bad input: one line, exit code 2 on every rank, no hang -----------------------------------
if want bad-input; then
# Each rank runs through a small wrapper that records its own exit code, so mpiexec's aggregation
# cannot hide a rank that hung or exited 0.
cat >"$work/wrap.sh" <<'WRAP'
"$@"
echo $? >"$WRAP_DIR/rank.${OMPI_COMM_WORLD_RANK:-0}"
WRAP
printf 'items = 10\ncolor = "red"\n' >"$work/unknown_key.toml"
printf 'items = "ten"\n' >"$work/wrong_type.toml"
printf 'items = 0\n' >"$work/zero_items.toml"
printf 'items = 10\nchunk = -3\n' >"$work/negative_chunk.toml"
printf 'items = 10\nchunk = 11\n' >"$work/chunk_too_big.toml"
printf '[workload]\nkind = "fib"\nn = 94\n' >"$work/fib_overflow.toml"
printf 'strategy = "round-robin"\n' >"$work/bad_strategy.toml"
printf '[workload]\nkind = "matmul"\n' >"$work/bad_workload.toml"
printf 'items = [1, 2\n' >"$work/syntax.toml"
: >"$work/empty.toml"
printf 'items = 1\0\n' >"$work/binary.toml"
mkdir "$work/a_directory.toml"
printf 'items = 10000000000000\n' >"$work/huge_items.toml"
printf 'items = 1.5\n' >"$work/float_items.toml"
printf 'chunk = 0\n' >"$work/zero_chunk.toml"
printf 'threads = -1\n' >"$work/negative_threads.toml"
printf 'threads = 5000\n' >"$work/huge_threads.toml"
printf 'counter = "magic"\n' >"$work/bad_counter.toml"
printf 'items = 1\nitems = 2\n' >"$work/duplicate_key.toml"
printf 'workload = 3\n' >"$work/workload_not_table.toml"
printf '[wrkload]\nkind = "fib"\n' >"$work/unknown_table.toml"
printf '[workload]\nkind = "fib"\ncolour = 1\n' >"$work/unknown_workload_key.toml"
printf '[workload]\nkind = "fib"\nn = -1\n' >"$work/negative_n.toml"
printf '[workload]\nkind = "fib"\nseconds = 1.0\n' >"$work/key_of_other_kind.toml"
printf '[workload]\nkind = "spin"\nseconds = 1e9\n' >"$work/year_long_spin.toml"
printf '[workload]\nkind = "sleep"\nseconds = nan\n' >"$work/nan_seconds.toml"
printf '[workload]\nkind = "sleep"\nseconds = -inf\n' >"$work/minus_inf_seconds.toml"
printf '[workload]\nkind = "file_io"\nbytes = 1099511627776\n' >"$work/huge_file_io.toml"
printf '[workload]\nkind = "file_io"\ndir = ""\n' >"$work/empty_dir.toml"
printf '[workload]\nkind = "triad"\nelements = 100000000000\n' >"$work/huge_triad.toml"
printf '[workload]\nkind = "gil"\nswitch_interval = 2.0\n' >"$work/long_switch.toml"
printf '[workload]\nkind = "irregular"\ndistribution = "pareto"\n' >"$work/bad_distribution.toml"
printf '[workload]\nkind = "irregular"\nlong_fraction = 1.5\n' >"$work/bad_fraction.toml"
printf 'items = "\xff\xfe"\n' >"$work/bad_utf8.toml"
head -c 2000000 /dev/zero | tr '\0' '#' >"$work/too_large.toml"

bad_cases=0
# Where the wrapper records the exit codes, and a command prefix that runs the job as another user
# (both changed by the unwritable-directory cases below).
wrap_dir=$work run_as=()
# expect_bad NAME WORD ARGS...: every rank exits 2, the output is one line naming WORD, within
# 20 s (a bound on a hang, not a measurement: 1-2 s unloaded, several on a loaded 2-core machine;
# scaled under sanitizers).
expect_bad() {
  local name=$1 word=$2 start; shift 2
  rm -f "$wrap_dir"/rank.*
  start=$(date +%s)
  ${run_as[@]+"${run_as[@]}"} env WRAP_DIR="$wrap_dir" timeout $((60 * time_factor)) "$mpiexec" -np 3 \
    "${mpi_flags[@]}" -x WRAP_DIR bash "$work/wrap.sh" "$exe" "$@" >"$work/out" 2>&1
  local launcher=$? codes seconds=$(( $(date +%s) - start ))
  codes=$(cat "$wrap_dir"/rank.* 2>/dev/null | sort | uniq -c | xargs)
  local lines
  lines=$(wc -l <"$work/out")
  if [ $launcher -ne 0 ] || [ "$codes" != "3 2" ] || [ "$lines" -ne 1 ] || [ "$seconds" -gt $((20 * time_factor)) ] ||
     ! grep -qF -- "$word" "$work/out" || ! grep -q '^hybridscope: error: ' "$work/out"; then
    fail "bad input $name: launcher $launcher after $seconds s, exit codes per rank '$codes', $lines lines: $(cat "$work/out")"
  else
    pass "bad input $name: $(cat "$work/out")"
    bad_cases=$((bad_cases + 1))
  fi
}

touch "$work/existing.h5"
mkdir "$work/out_dir"
before_bad=$(ls "$work"/*.h5 2>/dev/null | sort)
for f in "$work"/*.toml; do
  expect_bad "$(basename "$f" .toml)" "$f" run "$f"
done
expect_bad missing_file "$work/missing.toml" run "$work/missing.toml"
expect_bad bad_override "workload.n" run "$inputs/demo.toml" --set workload.n=-1
expect_bad override_without_value "nothing" run --set nothing
expect_bad unknown_override_key "bogus" run --set bogus=1
expect_bad unknown_option "--frobnicate" run --frobnicate
expect_bad unknown_subcommand "dance" dance
expect_bad output_exists "$work/existing.h5" run -o "$work/existing.h5" --set items=2
expect_bad output_is_directory "$work/out_dir" run -o "$work/out_dir" --set items=2
expect_bad output_dir_missing "/nonexistent/x.h5" run -o /nonexistent/x.h5 --set items=2
expect_bad output_unwritable "/proc/x.h5" run -o /proc/x.h5 --set items=2
expect_bad two_outputs "output" run -o "$work/a.h5" -o "$work/b.h5" --set items=2
expect_bad two_inputs "input" run "$inputs/demo.toml" "$inputs/demo.toml"
expect_bad override_not_a_number "items" run --set items=abc
expect_bad override_empty_value "items" run --set items=
expect_bad override_empty_key "=3" run --set =3
expect_bad override_into_value "items.n" run --set items.n=3
expect_bad override_bad_kind "matmul" run --set workload.kind=matmul
expect_bad trace_memory_zero "trace-memory" run --trace-memory 0
expect_bad trace_memory_text "trace-memory" run --trace-memory lots
expect_bad output_without_value "output" run -o

# An output directory the user cannot write into, as an ordinary user (root writes anywhere): as
# root the job runs as nobody, in a directory root owns (mode 0755) and in one nobody owns but has
# made read-only (0555); as another user, in a read-only directory of its own. Every rank exits 2
# with one line naming the directory, and nothing is created.
unwritable_output() {
  local top=$work/unwritable user dir
  local -a dirs=()
  mkdir -p "$top/codes"
  chmod 0711 "$work"  # others may pass through to $top, not list or change $work
  chmod 0755 "$top"
  chmod 0644 "$work/wrap.sh"
  if [ "$(id -u)" -eq 0 ]; then
    user=nobody run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
    if ! "${run_as[@]}" test -x "$exe" || ! "${run_as[@]}" test -r "$work/wrap.sh"; then
      fail "unwritable output directory: nobody cannot run $exe or read $work/wrap.sh: directories not searchable by others: $(namei -m "$exe" "$work/wrap.sh" | awk 'substr($1, 1, 1) == "d" && substr($1, 10, 1) !~ /[xt]/ {print $2}' | xargs)"
      run_as=(); chmod 0700 "$work"; return
    fi
    chown nobody:nogroup "$top/codes"
    mkdir -m 0755 "$top/root_owned"
    dirs+=("$top/root_owned")
  else
    user=$(id -un)
  fi
  mkdir "$top/read_only"
  [ "$(id -u)" -ne 0 ] || chown nobody:nogroup "$top/read_only"
  chmod 0555 "$top/read_only"
  dirs+=("$top/read_only")
  wrap_dir=$top/codes
  for dir in "${dirs[@]}"; do
    expect_bad "unwritable_$(basename "$dir")_as_$user" "cannot create a file in '$dir': Permission denied" \
      run -o "$dir/x.h5" --set items=2
    [ -z "$(ls -A "$dir")" ] || fail "unwritable output directory $dir: files were created: $(ls -A "$dir")"
  done
  wrap_dir=$work run_as=()
  chmod 0700 "$work"
}
unwritable_output
[ "$(ls "$work"/*.h5 2>/dev/null | sort)" = "$before_bad" ] && [ ! -s "$work/existing.h5" ] \
  && [ -z "$(ls -A "$work/out_dir")" ] && [ -z "$(ls -a "$work" | grep partial)" ] \
  && [ "$bad_cases" -ge 40 ] \
  && pass "$bad_cases bad inputs created no file and left the existing one alone" \
  || fail "bad input left files behind: $(ls -a "$work")"
fi

# --- the timeline file: named on request, never overwritten without --force ---------------------
if want files; then
run_layout 2 1 run --set items=8 -o "$work/run.h5" && [ -s "$work/run.h5" ] \
  && pass "timeline written to -o path" || fail "timeline -o: $(cat "$work/out")"
sum=$(md5sum <"$work/run.h5")
run_layout 2 1 run --set items=8 -o "$work/run.h5"
[ $? -eq 2 ] && [ "$(md5sum <"$work/run.h5")" = "$sum" ] && pass "existing timeline kept" \
  || fail "existing timeline was touched: $(cat "$work/out")"
run_layout 2 1 run --set items=9 -o "$work/run.h5" --force && [ "$(md5sum <"$work/run.h5")" != "$sum" ] \
  && pass "--force replaces the timeline" || fail "--force: $(cat "$work/out")"

# A file that appears at the -o path during the run (without --force) is not replaced either: the
# run is held inside the timeline write (test hook HYBRIDSCOPE_TEST_HOLD_WRITE) until the test has
# put the user's file there. The run exits 1 naming the partial file it kept, which holds the whole
# timeline. In the write means: the summary is printed (it comes first) and the partial file exists
# (the empty probe file the run makes and removes at its start is older than the summary).
in_write() { grep -q '^checksum ' "$work/appear.out" && ls -A "$work/appear" | grep -q '^\.run\.h5\.partial-'; }
appears_during_run() {
  local hold launcher code created=no
  # A longer hold only if the test lost the race (the run published before the test's file came).
  for hold in 5 20 80; do
    hold=$((hold * time_factor))
    rm -rf "$work/appear" && mkdir "$work/appear"
    HYBRIDSCOPE_TEST_HOLD_WRITE=$hold OMP_NUM_THREADS=1 timeout $((120 * time_factor + hold)) "$mpiexec" -np 2 \
      "${mpi_flags[@]}" -x HYBRIDSCOPE_TEST_HOLD_WRITE "$exe" run --set items=8 -o "$work/appear/run.h5" \
      >"$work/appear.out" 2>&1 &
    launcher=$!
    if ! wait_until $((60 * time_factor)) in_write; then
      wait "$launcher"
      fail "file appearing during the run: the run never reached the write: $(cat "$work/appear.out")"
      return
    fi
    # noclobber: never over the run's own file, if it was published already.
    (set -C && echo "the user's file" >"$work/appear/run.h5") 2>/dev/null && created=yes
    wait "$launcher"
    code=$?
    [ $created = no ] || break
    echo "note: the run published before the test's file came (hold $hold s); again with a longer hold"
  done
  [ $created = yes ] || { fail "file appearing during the run: the test never put its file there in time"; return; }
  local kept
  kept=$(sed -n "s/^hybridscope: error: cannot move the timeline to '.*': File exists; it is kept as '\(.*\)'\$/\1/p" "$work/appear.out")
  [ $code -eq 1 ] && [ "$(cat "$work/appear/run.h5")" = "the user's file" ] \
    && [ "$(grep -c 'error' "$work/appear.out")" -eq 1 ] && [ -n "$kept" ] \
    && pass "file appearing during the run kept, exit 1: $(grep error "$work/appear.out")" \
    || fail "file appearing during the run: exit $code, the file at the path begins" \
         "'$(head -c 40 "$work/appear/run.h5" | tr -cd '[:print:]')': $(cat "$work/appear.out")"
  [ -z "$kept" ] && return
  [ "$(dirname "$kept")" = "$work/appear" ] && [[ $(basename "$kept") == .run.h5.partial-[0-9]* ]] \
    && [ "$(ls -A "$work/appear" | grep -v '^run\.h5\.status\.json$' | sort | xargs)" = "$(basename "$kept") run.h5" ] \
    && pass "the kept file $(basename "$kept") is beside the output, and nothing else" \
    || fail "the kept file '$kept': the directory holds $(ls -A "$work/appear" | xargs)"
  [ -f "$kept" ] && [ -z "$(find "$kept" -perm -o+w)" ] \
    && /usr/bin/python3 "$check_timeline" "$kept" --ranks 2 --threads 1 >"$work/check" 2>&1 \
    && pass "the kept file is the run's complete timeline: $(cat "$work/check")" \
    || fail "the kept file '$kept' is not the run's timeline: $(cat "$work/check" 2>/dev/null)"
}
appears_during_run

# --- file modes: the user's umask, but never writable by others --------------------------------
for mask in 077 022 000; do
  (umask $mask && run_layout 2 1 run --set items=4 -o "$work/umask$mask.h5")
  mode=$(stat -c %a "$work/umask$mask.h5" 2>/dev/null)
  expected=$(printf '%o' $(( 0666 & ~0$mask & ~02 )))
  [ "$mode" = "$expected" ] && pass "umask $mask: mode $mode" \
    || fail "umask $mask: mode '$mode', expected $expected: $(cat "$work/out")"
done
fi

echo "$failures failure(s)"
[ $failures -eq 0 ]
