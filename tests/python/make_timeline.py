"""Writes small hybridscope timelines with known answers, in the layout of docs/timeline-format.md."""
import h5py
import numpy as np

_MS = 1_000_000
# The known timeline of the post-processing and picture tests: 2 ranks x 2 threads over 1 s. Useful
# time (work) 0.8, 0.4, 0.6, 0.6 s. r0t0 and r1t0 both work on core 1 during [100, 300) ms; r0t1
# migrates 0 -> 1 -> 0; r1t0 waits for the lock from 300 to 400 ms (item 5, core 2).
KNOWN_LANES = {
    (0, 0): [("startup", 0, 100 * _MS, 1, -1), ("work", 100 * _MS, 500 * _MS, 1, 0), ("work", 500 * _MS, 900 * _MS, 1, 1),
             ("idle", 900 * _MS, 1000 * _MS, 1, -1)],
    (0, 1): [("startup", 0, 100 * _MS, 0, -1), ("work", 100 * _MS, 300 * _MS, 0, 2), ("handout", 300 * _MS, 400 * _MS, 1, -1),
             ("work", 400 * _MS, 600 * _MS, 0, 3), ("idle", 600 * _MS, 1000 * _MS, 0, -1)],
    (1, 0): [("startup", 0, 100 * _MS, 1, -1), ("work", 100 * _MS, 300 * _MS, 1, 4), ("lock_wait", 300 * _MS, 400 * _MS, 2, 5),
             ("work", 400 * _MS, 800 * _MS, 2, 5), ("idle", 800 * _MS, 1000 * _MS, 2, -1)],
    (1, 1): [("startup", 0, 400 * _MS, 3, -1), ("work", 400 * _MS, 1000 * _MS, 3, 6)],
}

KINDS = ["startup", "work", "io", "idle", "handout", "lock_wait", "shutdown", "abandoned", "mpi"]


def write(path, lanes, wall_ns, hosts=(("node1", 8, 8),), complete=True, threads_per_rank=None, text_attributes=None):
    """lanes: {(rank, thread): [(kind, begin_ns, end_ns, cpu, item), ...]} gap-free per lane; text_attributes:
    string attributes to set instead of the defaults, e.g. {"workload_description": "gil 0.05 s"}."""
    ranks = sorted({r for r, _ in lanes})
    tpr = threads_per_rank or max(t for _, t in lanes) + 1
    rows = [(r, t, *iv) for (r, t), ivs in sorted(lanes.items()) for iv in ivs]
    enum = h5py.enum_dtype({k: i for i, k in enumerate(KINDS)}, basetype="u1")
    s = h5py.string_dtype("utf-8", None)

    def strings(values):
        width = max([1] + [len(v.encode()) for v in values])
        return np.array([v.encode() for v in values], dtype=f"S{width}")

    with h5py.File(path, "w") as f:
        a = f.attrs
        a["schema_version"] = np.int64(2)
        for key, value in [("producer", "test"), ("stop_reason", "" if complete else "stopped by SIGTERM"),
                           ("start_time_utc", "2026-01-01T00:00:00Z"), ("command_line", "test"),
                           ("strategy", "dynamic"), ("handout", "test"), ("workload", "fib"),
                           ("workload_description", "fib n=1"), ("checksum", "00000000000000ab"),
                           ("time_unit", "ns"), ("time_origin", "test"), ("mpi_library", "x"), ("hdf5_library", "x")]:
            a[key] = np.bytes_((text_attributes or {}).get(key, value).encode())
        items = sum(1 for row in rows if KINDS.index(row[2]) in (1, 2))
        a["complete"] = np.int64(1 if complete else 0)
        a["ranks"] = np.int64(len(ranks))
        a["threads_per_rank"] = np.int64(tpr)
        a["nodes"] = np.int64(len(hosts))
        a["items_planned"] = np.int64(items if complete else items + 10)
        a["items_done"] = np.int64(items)
        a["wall_seconds"] = np.float64(wall_ns * 1e-9)

        g = f.create_group("intervals")
        g["rank"] = np.array([r[0] for r in rows], dtype="u4")
        g["thread"] = np.array([r[1] for r in rows], dtype="u2")
        g.create_dataset("kind", data=np.array([KINDS.index(r[2]) for r in rows], dtype="u1"), dtype=enum)
        g["begin_ns"] = np.array([r[3] for r in rows], dtype="i8")
        g["end_ns"] = np.array([r[4] for r in rows], dtype="i8")
        g["cpu"] = np.array([r[5] for r in rows], dtype="i2")
        g["item"] = np.array([r[6] for r in rows], dtype="i8")
        g["chunk"] = np.array([r[6] for r in rows], dtype="i8")
        g["cpu_ns"] = np.array([r[4] - r[3] if KINDS.index(r[2]) in (1, 2) else -1 for r in rows], dtype="i8")

        t = f.create_group("threads")
        keys = sorted(lanes)
        t["rank"] = np.array([k[0] for k in keys], dtype="i4")
        t["thread"] = np.array([k[1] for k in keys], dtype="i4")
        t["allowed_cpus"] = strings(["0-7"] * len(keys))
        t["openmp_place"] = strings([""] * len(keys))
        t["os_thread_id"] = np.arange(len(keys), dtype="i8")
        t["items"] = np.array([sum(1 for iv in lanes[k] if iv[0] in ("work", "io")) for k in keys], dtype="u8")
        t["intervals"] = np.array([len(lanes[k]) for k in keys], dtype="u8")
        t["dropped_intervals"] = np.zeros(len(keys), dtype="u8")
        t["item_cpu_ns"] = np.array([sum(e - b for k2, b, e, *_ in lanes[k] if k2 in ("work", "io")) for k in keys],
                                    dtype="i8")
        t["measured_item_ns"] = t["item_cpu_ns"][()]
        for kind in KINDS:
            t[f"{kind}_ns"] = np.array([sum(e - b for k2, b, e, *_ in lanes[k] if k2 == kind) for k in keys], dtype="i8")

        r = f.create_group("ranks")
        r["rank"] = np.array(ranks, dtype="i4")
        r["host"] = strings([hosts[min(i, len(hosts) - 1)][0] for i in range(len(ranks))])
        for col in ["begin_ns", "end_ns", "clock_offset_start_ns", "clock_offset_end_ns",
                    "clock_round_trip_start_ns", "clock_round_trip_end_ns", "pid"]:
            r[col] = np.zeros(len(ranks), dtype="i8")
        r["end_ns"][...] = wall_ns
        h = f.create_group("hosts")
        h["host"] = strings([x[0] for x in hosts])
        h["ranks"] = np.array([sum(1 for i in range(len(ranks)) if hosts[min(i, len(hosts) - 1)][0] == x[0])
                               for x in hosts], dtype="i4")
        h["cores"] = np.array([x[1] for x in hosts], dtype="i4")
        h["pus"] = np.array([x[2] for x in hosts], dtype="i4")
        h["packages"] = np.ones(len(hosts), dtype="i4")
        h["numa_nodes"] = np.ones(len(hosts), dtype="i4")
