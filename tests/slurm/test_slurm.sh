#!/usr/bin/env bash
# The Slurm templates and the Lmod modulefile, for real: starts a one-machine Slurm cluster, installs
# hybridscope, submits every template with sbatch as an ordinary user, and checks that each job
# left a complete timeline with the expected ranks x threads and the reference checksum; a job that
# reaches its time limit must leave a valid timeline marked incomplete. User kernels too: the hybrid
# template with a plug-in deck and with a Python deck gives their singleton runs' checksums.
# The task-farm template under a 1-minute time limit: a chain of >= 3 jobs that resubmit themselves
# with --resume, after which every task has run successfully exactly once.
# Across nodes: the cluster also has the fake nodes hs-node1..3 (partition multi, each its own host
# name, monotonic clock and /dev/shm: scripts/slurm-cluster.sh); the hybrid template on 2 of them and
# processes-only on 3 must give one timeline with every node in /hosts, true clock offsets, a report
# row per node and the singleton's checksum.
# Usage: test_slurm.sh SOURCE_DIR BUILD_DIR        (as root, or with passwordless sudo)
set -u
source_dir=$(cd "$1" && pwd)
build_dir=$(cd "$2" && pwd)
if [ "$(id -u)" -ne 0 ]; then
  exec sudo -n bash "$0" "$@" || { echo "FAIL: the Slurm test needs root or passwordless sudo"; exit 1; }
fi
for tool in slurmctld slurmd munged sbatch; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (scripts/setup.sh installs slurm-wlm and munge)"; exit 1; }
done

user=hybridscope-ci
state=$(mktemp -d /tmp/hybridscope-slurm-XXXXXX)
chmod 755 "$state"
cleanup() {
  bash "$source_dir/scripts/slurm-cluster.sh" stop "$state/cluster"
  rm -rf "$state"
}
trap cleanup EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }

bash "$source_dir/scripts/slurm-cluster.sh" start "$state/cluster" --nodes 3 || exit 1
export SLURM_CONF=$state/cluster/slurm.conf
prefix=$state/prefix
cmake --install "$build_dir" --prefix "$prefix" >/dev/null || { echo "FAIL: cmake --install"; exit 1; }
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
jobs=$state/jobs
install -d -o "$user" -m 755 "$jobs"

templates=$prefix/share/hybridscope/slurm
input=$prefix/share/hybridscope/inputs/demo.toml
args=(--set items=60 --set workload.n=25)

# The checksum every layout must reproduce: a plain singleton run of the same input.
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 \
  "$prefix/bin/hybridscope" run "$input" "${args[@]}" -o "$state/reference.h5" >/dev/null \
  || { echo "FAIL: reference run"; exit 1; }
checksum_of() { /usr/bin/python3 -c 'import h5py,sys; print(h5py.File(sys.argv[1],"r").attrs["checksum"].decode())' "$1"; }
reference=$(checksum_of "$state/reference.h5")

# submit SBATCH_ARGS...: sbatch as the ordinary user, from the jobs folder; prints the job id.
submit() {
  runuser -u "$user" -- env SLURM_CONF="$SLURM_CONF" PATH="$prefix/bin:$PATH" HOME="/home/$user" \
    sbatch --parsable --chdir="$jobs" "$@"
}

# Task farm (slurm/task-farm.sbatch), submitted first so that it runs beside everything else. Slurm
# checks time limits every 30 s and sends --signal=B:USR1@S at the first check at most S + 30 s before
# the limit (measured on 22.05): with --time=1 and S = 20 every job is stopped 10 to 40 s after its
# start (never sooner, while srun may still be starting). Two jobs thus do less than 80 s of work per
# worker, and 84 s of sleeping per worker (2 workers, 2 s tasks) needs a third job, or a fourth when
# the first ones were short. Measured: 3-4 jobs, 108-165 s from submission, most of the spread being
# how long a resubmitted job waits behind the other tests' jobs for 2 free CPUs (up to 70 s).
# The signal comes from SBATCH_SIGNAL, which the template's resubmissions inherit (Slurm does not
# show a job's --signal); --time and --ntasks from the command line, which the template passes on.
# A task appends to its item's file only after its sleep: a task stopped mid-way leaves no line.
farm_items=84
farm_signal=B:USR1@20
install -d -o "$user" -m 755 "$jobs/farm-results"
printf 'items = %s\nchunk = 1\nstrategy = "dynamic"\n[workload]\nkind = "command"\ncommand = "%s"\nkill_grace = 1.0\n' \
  "$farm_items" 'sleep 2 && echo ok >> farm-results/{item}' >"$jobs/farm.toml"
farm_job=$(runuser -u "$user" -- env SLURM_CONF="$SLURM_CONF" PATH="$prefix/bin:$PATH" HOME="/home/$user" \
  SBATCH_SIGNAL=$farm_signal sbatch --parsable --chdir="$jobs" --time=1 --ntasks=2 \
  "$templates/task-farm.sbatch" farm.toml) || { echo "FAIL: sbatch refused the task-farm template"; exit 1; }
farm_submitted=$(date +%s)

# The job state, once the job has ended (sbatch --wait's exit code is unreliable for time-outs).
# Only the final states end the wait: a job being signalled by its --signal shows SIGNALING, and
# other transient states (STAGE_OUT, RESIZING, ...) may appear too.
wait_for() {
  local id=$1 state_now
  for _ in $(seq 1800); do
    state_now=$(scontrol show job -o "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
    case $state_now in
      COMPLETED|FAILED|TIMEOUT|CANCELLED|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE)
        echo "$state_now"; return ;;
      *) sleep 0.1 ;;
    esac
  done
  echo "STILL_${state_now:-UNKNOWN}"
}

# check_run NAME FILE RANKS THREADS [REFERENCE]: a complete timeline of RANKS x THREADS with the
# reference checksum (default: demo.toml's).
check_run() {
  local name=$1 file=$2 ranks=$3 threads=$4 reference=${5:-$reference}
  # Returns 1 after a failure, so that a caller's `&& echo ok` says nothing then.
  [ -f "$file" ] || { fail "$name: no timeline $file"; return 1; }
  /usr/bin/python3 "$source_dir/tests/python/check_timeline.py" "$file" --ranks "$ranks" --threads "$threads" \
    || { fail "$name: timeline check"; return 1; }
  [ "$(checksum_of "$file")" = "$reference" ] || { fail "$name: checksum $(checksum_of "$file") != $reference"; return 1; }
}

# User kernels (docs/kernels.md): the C example plug-in and the seeds' Python function, copied with
# their decks where the job's user can read them (paths in a deck are relative to its folder), and
# their reference checksums from singleton runs of the same decks.
kernels=$jobs/kernels
install -d -o "$user" -m 755 "$kernels"
install -m 644 "$build_dir/examples/kernels/libmandelbrot.so" "$source_dir/examples/kernels/seeds.py" "$kernels/" \
  || { echo "FAIL: the example kernels (build them first)"; exit 1; }
printf 'items = 48\nstrategy = "dynamic"\n[workload]\nkind = "plugin"\nlibrary = "libmandelbrot.so"\nargs = "width=160 height=48 max_iter=400"\n' \
  >"$kernels/plugin.toml"
printf 'items = 16\nstrategy = "dynamic"\n[workload]\nkind = "python"\nfile = "seeds.py"\nfunction = "work"\n' \
  >"$kernels/python.toml"
declare -A kernel_reference
for deck in plugin python; do
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 \
    "$prefix/bin/hybridscope" run "$kernels/$deck.toml" -o "$state/reference-$deck.h5" >/dev/null \
    || { echo "FAIL: reference run of the $deck deck"; exit 1; }
  kernel_reference[$deck]=$(checksum_of "$state/reference-$deck.h5")
done

# Across nodes, submitted before the single-node jobs (they take only CPUs of partition multi), in the
# forms the templates' headers give: the hybrid template on 2 nodes (1 rank of 2 threads on each;
# dynamic, whose counter falls back to messages since one-sided MPI cannot work over TCP) and
# processes-only on 3 (2 ranks on each; guided). Between these nodes MPI goes over loopback, which Open
# MPI leaves out unless told; idle ranks yield their core (as in scripts/multinode.sh). submit passes
# the environment on to the job.
across() {
  OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_mpi_yield_when_idle=1 submit --partition=multi "$@"
}
across_hybrid=$(across --nodes=2 "$templates/hybrid.sbatch" "$input" "${args[@]}")
across_processes=$(across --nodes=3 --ntasks-per-node=2 --ntasks=6 "$templates/processes-only.sbatch" "$input" \
  "${args[@]}" --set strategy=guided)
# And a task farm on 2 nodes (2 workers on each) whose commands say which node ran them.
farm_nodes_items=12
install -d -o "$user" -m 755 "$jobs/farm-nodes"
printf 'items = %s\nchunk = 1\nstrategy = "dynamic"\n[workload]\nkind = "command"\ncommand = "%s"\n' \
  "$farm_nodes_items" 'hostname > farm-nodes/{item}' >"$jobs/farm-nodes.toml"
across_farm=$(across --nodes=2 --ntasks-per-node=2 --ntasks=4 "$templates/task-farm.sbatch" farm-nodes.toml)
threads=$(submit "$templates/threads-only.sbatch" "$input" "${args[@]}")
processes=$(submit "$templates/processes-only.sbatch" "$input" "${args[@]}")
hybrid=$(submit "$templates/hybrid.sbatch" "$input" "${args[@]}")
compare=$(submit "$templates/compare-layouts.sbatch" "$input" "${args[@]}")
plugin_job=$(submit "$templates/hybrid.sbatch" "$kernels/plugin.toml")
python_job=$(submit "$templates/hybrid.sbatch" "$kernels/python.toml")
# Time limit: Slurm sends USR1 (the templates' --signal) 45 s before the 2 min limit, or up to 60 s
# earlier (sbatch(1): "the resolution of event handling"), so never in the first 15 s, while the step
# may still be starting. Its items wait (1 s each, far more than fit) rather than compute, so that the
# two minutes leave the CPUs to the other tests.
limited=$(submit --time=2 --signal=USR1@45 "$templates/threads-only.sbatch" \
  "$prefix/share/hybridscope/inputs/io_sleep.toml" --set items=100000)
# advise inside one allocation of 4 CPUs: a small input and a 30 s budget, so that it adds little time.
advise_budget=30
advise=$(submit "$templates/advise.sbatch" "$input" "${args[@]}" --budget "$advise_budget")
# Lmod inside a batch job: `module` exists only once lmod.sh is sourced.
cat >"$jobs/module.sbatch" <<SCRIPT
#!/bin/bash
source /etc/profile.d/lmod.sh
module use $prefix/modules
module load hybridscope
hybridscope --version
echo HYBRIDSCOPE_ROOT=\$HYBRIDSCOPE_ROOT
SCRIPT
module_job=$(submit --output=module-%j.out "$jobs/module.sbatch")
[ -n "$across_hybrid" ] && [ -n "$across_processes" ] && [ -n "$across_farm" ] \
  && [ -n "$farm_job" ] && [ -n "$threads" ] && [ -n "$processes" ] && [ -n "$hybrid" ] && [ -n "$compare" ] && [ -n "$limited" ] \
  && [ -n "$module_job" ] && [ -n "$advise" ] && [ -n "$plugin_job" ] && [ -n "$python_job" ] || { echo "FAIL: sbatch refused a template"; exit 1; }

for job in "threads $threads 1 4" "processes $processes 4 1" "hybrid $hybrid 2 2"; do
  read -r name id ranks nthreads <<<"$job"
  end=$(wait_for "$id")
  [ "$end" = COMPLETED ] || { fail "$name job $id ended $end: $(cat "$jobs"/*-"$id".out 2>/dev/null)"; continue; }
  check_run "$name" "$jobs/hybridscope-$name-$id.h5" "$ranks" "$nthreads" && echo "ok: $name template ($ranks x $nthreads)"
done

# Each job across nodes: the summary says "on N nodes", the timeline passes check_run, names every node
# in /hosts with the clock offsets the nodes really have (tests/python/fake_nodes.py), and the report
# has a row per node.
for job in "hybrid $across_hybrid 2 2 2" "processes $across_processes 3 6 1"; do
  read -r name id nodes ranks nthreads <<<"$job"
  end=$(wait_for "$id")
  out=$jobs/hybridscope-$name-$id.out file=$jobs/hybridscope-$name-$id.h5
  [ "$end" = COMPLETED ] || { fail "$name job $id on $nodes nodes ended $end: $(cat "$out" 2>/dev/null)"; continue; }
  # Each node has ranks / nodes of them (the summary's "on 3 nodes: hs-node1 (2 ranks), hs-node2 (2 ranks), ...").
  per_node="$((ranks / nodes)) rank$([ $((ranks / nodes)) -eq 1 ] || echo s)"
  spread=$(for ((k = 1; k <= nodes; ++k)); do echo "hs-node$k ($per_node)"; done | paste -sd, | sed 's/,/, /g')
  grep -q "^layout .* on $nodes nodes: $spread\$" "$out" || { fail "$name: not '$nodes nodes: $spread' in $(cat "$out")"; continue; }
  check_run "$name on $nodes nodes" "$file" "$ranks" "$nthreads" || continue
  "$prefix/bin/hybridscope" report --json "$file" >"$state/report-$id.json" 2>&1 \
    || { fail "$name on $nodes nodes: hybridscope report --json: $(cat "$state/report-$id.json")"; continue; }
  /usr/bin/python3 "$source_dir/tests/python/fake_nodes.py" "$nodes" "$file" "$state/report-$id.json" \
    && echo "ok: $name template across $nodes nodes ($ranks x $nthreads, $(sed -n 's/^layout .* on //p' "$out"))" \
    || fail "$name on $nodes nodes: the nodes in the timeline"
done

# The farm across nodes: every task ran once, on one of the 2 nodes, each node ran some; its timeline
# names both nodes (with their clocks), the report counts every task as run, none failed.
end=$(wait_for "$across_farm")
out=$jobs/hybridscope-farm-$across_farm.out file=$jobs/hybridscope-farm-$across_farm.h5
ran_on=$(cat "$jobs"/farm-nodes/* 2>/dev/null | sort | uniq -c | awk '{print $2 " " $1}' | paste -sd, | sed 's/,/, /g')
if [ "$end" != COMPLETED ] || ! grep -q "^task-farm: done" "$out"; then
  fail "task farm across nodes: job $across_farm ended $end: $(cat "$out" 2>/dev/null)"
elif [ "$(ls "$jobs/farm-nodes" | wc -l)" -ne $farm_nodes_items ] || [ "$(cat "$jobs"/farm-nodes/* | sort -u | xargs)" != "hs-node1 hs-node2" ]; then
  fail "task farm across nodes: $(ls "$jobs/farm-nodes" | wc -l) of $farm_nodes_items tasks ran, on: ${ran_on:-none}"
elif "$prefix/bin/hybridscope" report --json "$file" >"$state/report-farm-nodes.json" 2>&1 \
     && "$prefix/bin/hybridscope" report "$file" 2>/dev/null | grep -q "^tasks  *$farm_nodes_items ran to an exit, 0 failed" \
     && /usr/bin/python3 "$source_dir/tests/python/fake_nodes.py" 2 "$file" "$state/report-farm-nodes.json"; then
  echo "ok: task-farm template across 2 nodes ($farm_nodes_items of $farm_nodes_items tasks; ran on: $ran_on)"
else
  fail "task farm across nodes: the timeline or its report: $(cat "$state/report-farm-nodes.json" | head -c 600)"
fi

for job in "plugin $plugin_job" "python $python_job"; do
  read -r deck id <<<"$job"
  end=$(wait_for "$id")
  [ "$end" = COMPLETED ] || { fail "$deck deck job $id ended $end: $(cat "$jobs/hybridscope-hybrid-$id.out")"; continue; }
  check_run "$deck deck" "$jobs/hybridscope-hybrid-$id.h5" 2 2 "${kernel_reference[$deck]}" \
    && echo "ok: hybrid template with the $deck deck (2 x 2, checksum ${kernel_reference[$deck]})"
done

end=$(wait_for "$compare")
if [ "$end" = COMPLETED ]; then
  for layout in "threads 1 4" "processes 4 1" "hybrid 2 2"; do
    read -r name ranks nthreads <<<"$layout"
    check_run "compare/$name" "$jobs/hybridscope-compare-$compare/$name.h5" "$ranks" "$nthreads" \
      && echo "ok: compare-layouts $name ($ranks x $nthreads)"
  done
else
  fail "compare job $compare ended $end: $(cat "$jobs/hybridscope-compare-$compare.out")"
fi

end=$(wait_for "$limited")
file=$jobs/hybridscope-threads-$limited.h5
if [ -f "$file" ] && /usr/bin/python3 "$source_dir/tests/python/check_timeline.py" "$file" --ranks 1 --threads 4 \
     --incomplete SIGUSR1 --min-items 0; then
  echo "ok: time-limited job ($end) left an incomplete timeline"
else
  fail "time-limited job $limited ($end): $(cat "$jobs/hybridscope-threads-$limited.out")"
fi

# advise: a recommended split of the allocation's 4 CPUs, every trial an srun step that left a complete
# timeline of its layout with the reference checksum, all within the budget.
end=$(wait_for "$advise")
folder=$jobs/hybridscope-advise-$advise
summary=$folder/summary.json
runtime=$(scontrol show job -o "$advise" | sed -n 's/.*RunTime=\([0-9:]*\).*/\1/p' | awk -F: '{print $(NF-2)*3600 + $(NF-1)*60 + $NF}')
if [ "$end" = COMPLETED ] && [ -f "$summary" ]; then
  echo "advise job: ${runtime:-?} s of a $advise_budget s budget"
  sed 's/^/  advise: /' "$folder/summary.txt"
  before=$status
  [ -n "$runtime" ] && [ "$runtime" -le $((advise_budget + 15)) ] || fail "advise job $advise ran ${runtime:-?} s, budget $advise_budget s"
  # Prints "RANKS THREADS" of every trial that ran to its end (the others must have clearly lost).
  finished=$(/usr/bin/python3 - "$summary" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
best, runs = s["recommended"], s["runs"]
assert s["cpus"] == 4 and s["launcher"] == "srun", (s["cpus"], s["launcher"])
assert best and best["ranks"] * best["threads"] == 4, best
assert {(r["ranks"], r["threads"]) for r in runs} == {(1, 4), (2, 2), (4, 1)}, [r["name"] for r in runs]
assert all(r["command"].startswith("OMP_PROC_BIND=false srun --mpi=pmix ") for r in runs), runs[0]["command"]
assert all(r["lost"] or not r["stopped"] for r in runs), [(r["name"], r["stopped"]) for r in runs]
print("\n".join(f"{r['ranks']} {r['threads']}" for r in runs if not r["stopped"]))
PY
) || fail "advise job $advise: summary.json: $(cat "$jobs/hybridscope-advise-$advise.out")"
  while read -r ranks nthreads; do
    [ -n "$ranks" ] && check_run "advise/${ranks}x$nthreads" "$folder/${ranks}x$nthreads.h5" "$ranks" "$nthreads"
  done <<<"$finished"
  [ $status -eq "$before" ] \
    && echo "ok: advise ($(sed -n 's/^recommended *//p' "$folder/summary.txt" | cut -d: -f1); finished: $(echo $finished))"
else
  fail "advise job $advise ended $end: $(cat "$jobs/hybridscope-advise-$advise.out")"
fi

end=$(wait_for "$module_job")
if [ "$end" = COMPLETED ] && grep -q "^hybridscope [0-9]" "$jobs/module-$module_job.out" \
   && grep -q "^HYBRIDSCOPE_ROOT=$prefix\$" "$jobs/module-$module_job.out"; then
  echo "ok: module load hybridscope in a batch job"
else
  fail "module job $module_job ($end): $(cat "$jobs/module-$module_job.out")"
fi
# And interactively, as the issue's users do it.
runuser -u "$user" -- bash -c "source /etc/profile.d/lmod.sh && module use $prefix/modules && module load hybridscope && hybridscope --version" \
  | grep -q "^hybridscope [0-9]" && echo "ok: module load hybridscope" || fail "module load hybridscope"

# The farm chain: follow the resubmissions ("job N resumes from ...") until a job that did not resubmit.
chain=() states=() spans=() id=$farm_job
while [ -n "$id" ] && [ ${#chain[@]} -lt 16 ]; do
  end=$(wait_for "$id")
  chain+=("$id") states+=("$end")
  spans+=("$id $end $(scontrol show job -o "$id" | sed -n 's/.* SubmitTime=[^T]*T\([^ ]*\) .* StartTime=[^T]*T\([^ ]*\) EndTime=[^T]*T\([^ ]*\) .*/submitted \1 ran \2-\3/p')")
  id=$(sed -n 's/^task-farm: stopped by the time limit; job \([0-9]*\) resumes from .*/\1/p' "$jobs/hybridscope-farm-$id.out")
done
farm_seconds=$(( $(date +%s) - farm_submitted ))
echo "task-farm chain: ${#chain[@]} jobs, ${farm_seconds} s from submission"
printf '  task-farm job %s\n' "${spans[@]}"
last=${chain[-1]}
farm_out() { cat "$jobs/hybridscope-farm-$1.out" 2>/dev/null; }
before=$status
[ ${#chain[@]} -ge 3 ] || fail "task farm: a chain of ${#chain[@]} jobs (${chain[*]}), expected >= 3: $(farm_out "$last")"
for i in "${!chain[@]}"; do
  id=${chain[$i]}
  # Every job ends COMPLETED: the signal, not the time limit, ends each stopped job.
  [ "${states[$i]}" = COMPLETED ] || fail "task farm: job $id ended ${states[$i]}: $(farm_out "$id")"
  if [ "$i" -gt 0 ]; then
    grep -q "^task-farm: job $id resumes from $jobs/hybridscope-farm-${chain[$((i - 1))]}.h5" "$jobs/hybridscope-farm-$id.out" \
      || fail "task farm: job $id does not say it resumes from job ${chain[$((i - 1))]}: $(farm_out "$id")"
  fi
done
grep -q "^task-farm: done (resumed from " "$jobs/hybridscope-farm-$last.out" \
  || fail "task farm: the last job $last did not finish the farm: $(farm_out "$last")"
# Every task ran successfully exactly once across the chain: one line in each item's file ...
lines=$(cat "$jobs"/farm-results/* 2>/dev/null | wc -l)
files=$(ls "$jobs/farm-results" | wc -l)
bad=$(for f in "$jobs"/farm-results/*; do [ "$(cat "$f")" = ok ] || basename "$f"; done | xargs)
[ "$files" -eq $farm_items ] && [ "$lines" -eq $farm_items ] && [ -z "$bad" ] \
  || fail "task farm: $files result files with $lines lines for $farm_items items (not exactly one 'ok': ${bad:-none})"
# ... and the timelines agree: one attempt that exited 0 per item over the chain, the stopped runs
# marked incomplete by SIGUSR1, each resumed run carrying what the runs before it finished.
timelines=()
for id in "${chain[@]}"; do timelines+=("$jobs/hybridscope-farm-$id.h5"); done
/usr/bin/python3 - "$farm_items" "${timelines[@]}" <<'PY' || fail "task farm: timelines of the chain"
import sys, h5py, collections
items, files = int(sys.argv[1]), sys.argv[2:]
ok = collections.Counter()
for n, path in enumerate(files):
    with h5py.File(path, "r") as f:
        a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        t = {c: f["tasks"][c][()] for c in f["tasks"]}
        carried = sum(int(c) for c in f["carried"]["count"][()]) if "carried" in f else 0
    last = n == len(files) - 1
    assert a["complete"] == (1 if last else 0), (path, a["complete"], a["stop_reason"])
    assert last or a["stop_reason"] == "stopped by SIGUSR1", (path, a["stop_reason"])
    assert a["resumed_from"] == (files[n - 1] if n else ""), (path, a["resumed_from"])
    assert a["items_carried"] == carried == sum(ok.values()), (path, a["items_carried"], carried, sum(ok.values()))
    for item, code, abandoned in zip(t["item"], t["exit_code"], t["abandoned"]):
        if code == 0 and not abandoned:
            ok[int(item)] += 1
assert sorted(ok) == list(range(items)) and set(ok.values()) == {1}, [i for i in range(items) if ok[i] != 1]
PY
# The chain's totals: every item succeeded, with the farm checksum of one uninterrupted run. That
# checksum folds only the items and their exit statuses, so a reference run of a deck of the same
# items whose commands exit 0 at once gives it; two such decks with different commands must agree.
for command in 'true {item}' 'echo {item} >/dev/null'; do
  printf 'items = %s\n[workload]\nkind = "command"\ncommand = "%s"\n' "$farm_items" "$command" >"$state/farm-reference.toml"
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=2 "$prefix/bin/hybridscope" run \
    "$state/farm-reference.toml" -o "$state/farm-reference.h5" --force >/dev/null \
    || fail "task farm: reference run of '$command'"
  echo "$(checksum_of "$state/farm-reference.h5")"
done >"$state/farm-checksums"
farm_reference=$(head -1 "$state/farm-checksums")
[ "$(sort -u "$state/farm-checksums" | wc -l)" -eq 1 ] \
  || fail "task farm: decks of different successful commands give different checksums: $(xargs <"$state/farm-checksums")"
"$prefix/bin/hybridscope" report --json "$jobs/hybridscope-farm-$last.h5" >"$state/farm-report.json" 2>&1 \
  || fail "task farm: hybridscope report --json of $last: $(cat "$state/farm-report.json")"
/usr/bin/python3 - "$state/farm-report.json" "$farm_items" "$farm_reference" "${timelines[@]}" <<'PY' \
  || fail "task farm: report --json of the last timeline"
import json, sys
farm = json.load(open(sys.argv[1]))["farm"]
items, reference, files = int(sys.argv[2]), sys.argv[3], sys.argv[4:]
assert farm["items"] == items and farm["succeeded"] == items, farm
assert farm["checksum"] == reference, (farm["checksum"], reference)
assert farm["runs"] == files and not farm["missing"], farm
PY
"$prefix/bin/hybridscope" report "$jobs/hybridscope-farm-$last.h5" 2>/dev/null \
  | grep -q "^farm .*: $farm_items of $farm_items items succeeded" || fail "task farm: hybridscope report's farm line"
[ $status -eq "$before" ] && echo "ok: task-farm template: ${#chain[@]} jobs, $farm_items of $farm_items tasks exactly once, farm checksum $farm_reference"
exit $status
