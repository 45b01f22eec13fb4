#!/usr/bin/env bash
# The hybridscope executable across 2 or 3 fake nodes of scripts/multinode.sh (issue 16): every
# strategy and counter must exit 0, say "on N nodes", give the checksum of a singleton run of the
# same input, and write a timeline that passes check_timeline.py, whose /hosts lists the fake nodes
# and whose per-rank clock offsets are the nodes' true monotonic-clock offsets within their measured
# error.
#
# Usage: test_multinode.sh HYBRIDSCOPE MULTINODE_SH CHECK_TIMELINE NODES PART
# PART:
#   static       static-block and static-cyclic, counters auto and rma, default MPI settings
#   osc-pt2pt    dynamic and guided, counters auto and rma, with --mca osc pt2pt (one-sided that
#                works over TCP)
#   default-osc  dynamic and guided, counters auto and rma, default MPI settings: Open MPI picks the
#                rdma one-sided component, which cannot work over TCP; the counter must fall back
#   binding      (2 nodes) one run whose rankfile binds both ranks of hs-node1 to core 0 and those of
#                hs-node2 to cores 0 and 1: `hybridscope report` must say that the ranks on hs-node1,
#                and only there, were bound badly
# Needs root (the nodes are namespaces); fails, not skips, without it.
set -u
exe=$(realpath "$1") multinode=$(realpath "$2") check_timeline=$(realpath "$3") nodes=$4 part=$5
slots=2
np=$((nodes * slots))
threads=2
source "$(dirname "$0")/../lib.sh"
# Small, irregular items, so that every rank gets some and the dynamic hand-out has work to balance.
input=(--set items=96 --set chunk=2 --set workload.kind=irregular --set workload.seconds=0.0005
       --set workload.distribution=lognormal --set workload.seed=11)

if [ "$(id -u)" -ne 0 ]; then
  echo "FAIL: needs root: scripts/multinode.sh makes each node with unshare (UTS, time, IPC and mount namespaces)"
  exit 1
fi
case $part in
  static) strategies=(static-block static-cyclic) mca=() ;;
  osc-pt2pt) strategies=(dynamic guided) mca=(--mca osc pt2pt) ;;
  default-osc) strategies=(dynamic guided) mca=() ;;
  binding) strategies=() mca=() ;;
  *) echo "FAIL: unknown part '$part'"; exit 1 ;;
esac

enter_work_dir

# The reference: one process, no mpiexec, on the real host.
OMP_NUM_THREADS=$threads timeout $((60 * time_factor)) "$exe" run "${input[@]}" -o "$work/single.h5" \
  >"$work/single" 2>&1
reference=$(checksum_of "$work/single")
if [ -z "$reference" ]; then
  echo "FAIL: singleton reference run: $(cat "$work/single")"
  exit 1
fi
echo "reference checksum $reference (singleton)"

# Every case that ran: check_timeline.py, then /hosts and the clocks (tests/python/fake_nodes.py), in
# one Python process (each start of Python with h5py and pandas costs most of a second). Arguments:
# NODES RANKS THREADS CHECK_TIMELINE, then FILE NAME pairs.
check_timelines() {
  /usr/bin/python3 - "$@" <<'PY'
import contextlib, io, os, runpy, sys

nodes, ranks, threads, checker = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
cases = list(zip(sys.argv[5::2], sys.argv[6::2]))
sys.path.insert(0, os.path.dirname(checker))
from fake_nodes import check_nodes  # noqa: E402


failures = 0
for path, name in cases:
    out = io.StringIO()
    sys.argv = [checker, path, "--ranks", ranks, "--threads", threads]
    status = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            runpy.run_path(checker, run_name="__main__")
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else 1
    except Exception as e:  # noqa: BLE001 - a crash of the checker is a failure of this case
        out.write(f"{type(e).__name__}: {e}")
        status = 1
    problem = f"check_timeline: {out.getvalue().strip()}" if status else check_nodes(path, nodes)
    if problem:
        print(f"FAIL: {name}: timeline: {problem}")
        failures += 1
sys.exit(min(failures, 100))
PY
}

checked=()
for strategy in "${strategies[@]}"; do
  for counter in auto rma; do
    name="$nodes nodes x $slots ranks x $threads threads, $strategy, counter $counter${mca:+, ${mca[*]}}"
    out="$work/$strategy-$counter.out" h5="$work/$strategy-$counter.h5"
    start=$(date +%s%N)
    OMP_NUM_THREADS=$threads timeout $((60 * time_factor)) bash "$multinode" --nodes "$nodes" --slots "$slots" \
      -np "$np" --bind-to none "${mca[@]}" "$exe" run "${input[@]}" \
      --set strategy="$strategy" --set counter="$counter" -o "$h5" >"$out" 2>&1
    status=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    why=()
    [ $status -eq 0 ] || why+=("exit $status")
    grep -q "^layout .* on $nodes nodes: " "$out" || why+=("no 'on $nodes nodes' in the summary")
    got=$(checksum_of "$out")
    [ "$got" = "$reference" ] || why+=("checksum '${got}', singleton $reference")
    if [ ${#why[@]} -eq 0 ]; then
      pass "$name (${ms} ms; $(sed -n 's/^strategy *//p' "$out"))"
      checked+=("$h5" "$name")
    else
      fail "$name: $(IFS=';'; echo "${why[*]}")"
      grep -v 'plm:rsh: Warning: setpgid' "$out" | head -n 40 | sed 's/^/    /'
    fi
  done
done

if [ "$part" = binding ]; then
  # One thread per rank, so that a rank bound to one core is not also bound too tightly for its threads.
  printf 'rank 0=hs-node1 slot=0\nrank 1=hs-node1 slot=0\nrank 2=hs-node2 slot=0\nrank 3=hs-node2 slot=1\n' >"$work/rankfile"
  OMP_NUM_THREADS=1 timeout $((60 * time_factor)) bash "$multinode" --nodes 2 --slots 2 -np 4 \
    --rankfile "$work/rankfile" "$exe" run "${input[@]}" -o "$work/binding.h5" >"$work/binding.out" 2>&1
  status=$?
  got=$(checksum_of "$work/binding.out")
  "$exe" report "$work/binding.h5" >"$work/binding.report" 2>&1
  bad=$(grep -c "^warning: the ranks on node hs-node1 were bound badly: ranks 0 and 1 share CPU 0 (2 threads on 1 CPU), so" "$work/binding.report")
  others=$(grep -c "were bound badly" "$work/binding.report")
  if [ $status -eq 0 ] && [ "$got" = "$reference" ] && [ "$bad" -eq 1 ] && [ "$others" -eq 1 ]; then
    pass "rankfile binding both ranks of hs-node1 to core 0: the report names hs-node1 alone"
  else
    fail "binding by rankfile: exit $status, checksum '$got' (singleton $reference), report: $(grep warning "$work/binding.report")"
    grep -v 'plm:rsh: Warning: setpgid' "$work/binding.out" | head -n 20 | sed 's/^/    /'
  fi
fi

if [ ${#checked[@]} -gt 0 ]; then
  check_timelines "$nodes" "$np" "$threads" "$check_timeline" "${checked[@]}"
  failures=$((failures + $?))
  # By node: the plot groups each node's lanes under its name, the report has a row per node.
  first=${checked[0]}
  if "$exe" plot "$first" -o "$work/by-node.svg" >/dev/null 2>&1 && "$exe" report "$first" >"$work/report" 2>&1 &&
     /usr/bin/python3 - "$first" "$work/by-node.svg" "$work/report" <<'PY'
import sys, h5py, xml.etree.ElementTree as ET
f = h5py.File(sys.argv[1], "r")
host_of = dict(zip(f["ranks/rank"][()].tolist(), (h.decode() for h in f["ranks/host"][()])))
ns = {"s": "http://www.w3.org/2000/svg"}
groups = ET.parse(sys.argv[2]).getroot().findall(".//s:g[@class='node']", ns)
seen = {g.get("data-host"): sorted({int(l.get("data-rank")) for l in g.findall("s:g[@class='lane']", ns)}) for g in groups}
want = {}
for rank, host in host_of.items():
    want.setdefault(host, []).append(rank)
want = {h: sorted(r) for h, r in want.items()}
report = open(sys.argv[3]).read()
rows = [h for h in want if any(line.split()[:1] == [h] for line in report.splitlines())]
if seen != want or len(groups) != len(want) or sorted(rows) != sorted(want) or "node load balance" not in report:
    sys.exit(f"plot groups {seen}, report rows {rows}; expected {want}")
PY
  then
    pass "plot groups the lanes by node, report has a row per node"
  else
    fail "plot or report by node: $(cat "$work/report" 2>/dev/null | tail -n 5)"
  fi
fi
echo "$failures failure(s)"
[ $failures -eq 0 ]
