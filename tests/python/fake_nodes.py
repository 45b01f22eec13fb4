"""Checks a timeline of a run across the fake nodes hs-node1..N that scripts/multinode.sh (for mpirun)
and scripts/slurm-cluster.sh --nodes N (for Slurm) make on one machine: node K's CLOCK_MONOTONIC is
K*3600+K*7 s ahead of the machine's.

    fake_nodes.py NODES TIMELINE [REPORT_JSON]

/hosts must name hs-node1..NODES, the attribute `nodes` be NODES, every node have ranks, and every
rank's clock offset to rank 0 (at start and at end) be the difference of the nodes' true offsets,
within half the fastest round trip (the measured error) + 50 us. With REPORT_JSON (the output of
`hybridscope report --json TIMELINE`), its `nodes` rows must name the same nodes. Prints one line and
exits 0, or says what is wrong and exits 1. tests/multinode/test_multinode.sh imports check_nodes.
"""
import json
import re
import sys

import h5py


def offset_s(host):
    return int(re.fullmatch(r"hs-node(\d+)", host).group(1)) * 3607


def check_nodes(path, nodes):
    """None if the timeline at PATH spans hs-node1..NODES with true clock offsets, else the problem."""
    want = [f"hs-node{k}" for k in range(1, nodes + 1)]
    with h5py.File(path, "r") as f:
        hosts = [h.decode() for h in f["hosts/host"][()]]
        if sorted(hosts) != want:
            return f"/hosts/host is {hosts}, expected {want}"
        if int(f.attrs["nodes"]) != nodes:
            return f"attribute nodes is {f.attrs['nodes']}, expected {nodes}"
        r = f["ranks"]
        rank_hosts = [h.decode() for h in r["host"][()]]
        if set(rank_hosts) != set(want):
            return f"/ranks/host is {rank_hosts}, expected ranks on each of {want}"
        rank_list = list(r["rank"][()])
        root = rank_hosts[rank_list.index(0)]
        worst = 0
        for i, rank in enumerate(rank_list):
            true_ns = (offset_s(root) - offset_s(rank_hosts[i])) * 10**9
            for when in ("start", "end"):
                measured = int(r[f"clock_offset_{when}_ns"][i])
                bound = int(r[f"clock_round_trip_{when}_ns"][i]) / 2 + 50_000
                error = abs(measured - true_ns)
                worst = max(worst, error)
                if error > bound:
                    return (f"rank {rank} on {rank_hosts[i]}: clock offset at the {when} {measured} ns, "
                            f"true {true_ns} ns: off by {error} ns, more than {bound:.0f} ns")
    per_node = {h: rank_hosts.count(h) for h in want}
    print(f"  {path}: hosts {hosts} (ranks {per_node}), clock offsets within {worst / 1000:.1f} us of the true ones")
    return None


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__.split("\n\n")[1])
    nodes, path = int(argv[1]), argv[2]
    problem = check_nodes(path, nodes)
    if not problem and len(argv) == 4:
        rows = sorted(n["host"] for n in json.load(open(argv[3])).get("nodes", []))
        if rows != [f"hs-node{k}" for k in range(1, nodes + 1)]:
            problem = f"report --json has node rows {rows}"
    if problem:
        print(f"FAIL: {path}: {problem}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
