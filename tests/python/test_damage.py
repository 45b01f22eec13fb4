#!/usr/bin/python3
"""Damaged timelines: every post-processing command (report, report --json, report --html, plot,
compare, export perfetto, export otf2) ends a damaged copy of a real timeline either with exit 0 and exactly the
undamaged file's output (the damage hit nothing that matters), or with exit 2 and exactly one line on
stderr naming the file. Never another exit code, a signal, a hang (30 s per command) or a runaway
allocation (every command runs under a 2 GiB address-space limit, as `ulimit -v` sets).

Damage, seeded: random bit flips, truncations, zeroed 512-byte blocks spread over the whole file;
damage aimed at the chunk index (the one piece of metadata without a checksum in the HDF5 1.8 file
format); and edits made with h5py, so that every checksum matches: extents, absurd attribute values,
string widths, types, values that contradict other tables, deleted columns and groups.
The outcome is printed per kind of damage, with how the damaged copies were caught.

Usage: test_damage.py HYBRIDSCOPE MPIEXEC
Environment: HYBRIDSCOPE_DAMAGE_SEED (default: random, printed) replays a run's damage (the timeline
itself is written anew, so keep failing copies to replay exactly);
HYBRIDSCOPE_DAMAGE_COPIES (default 100) is the number of random copies (bit flips, truncations,
zeroed blocks; the others come on top); HYBRIDSCOPE_DAMAGE_KEEP=DIR keeps the copies that failed.
"""
import collections
import concurrent.futures
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

EXE, MPIEXEC = (os.path.abspath(a) for a in sys.argv[1:3])
SEED = int(os.environ.get("HYBRIDSCOPE_DAMAGE_SEED") or random.SystemRandom().randrange(1 << 32))
COPIES = int(os.environ.get("HYBRIDSCOPE_DAMAGE_COPIES", "100"))
KEEP = os.environ.get("HYBRIDSCOPE_DAMAGE_KEEP")
NAME = "t.h5"  # every copy has this name in its own folder, so outputs that show the path compare equal
MEMORY_LIMIT = 2 << 30
TIMEOUT = 30

COMMANDS = {
    "report": ["report", NAME],
    "report --json": ["report", NAME, "--json"],
    "plot": ["plot", NAME, "-o", "plot.svg"],
    "report --html": ["report", NAME, "--html", "-o", "report.html"],
    "compare": ["compare", NAME],
    "export perfetto": ["export", NAME, "--format", "perfetto", "-o", "trace.json"],
    "export otf2": ["export", NAME, "--format", "otf2", "-o", "otf2"],
}
# The file or folder each command writes besides stdout.
WRITES = {"plot": "plot.svg", "report --html": "report.html", "export perfetto": "trace.json", "export otf2": "otf2"}


# AddressSanitizer reserves terabytes of address space for its shadow memory and cannot start under
# an address-space limit; it reports a runaway allocation itself (allocation-size-too-big, an abort
# the test counts as a failure), so a sanitized build runs without the limit.
SANITIZED = "ASAN_OPTIONS" in os.environ


def limit_memory():
    if not SANITIZED:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def outputs(folder):
    """What the commands wrote besides stdout: files, except the OTF2 anchor (it holds a date)."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            if rel == NAME or rel == os.path.join("otf2", "traces.otf2"):
                continue
            with open(path, "rb") as f:
                found[rel] = f.read()
    return found


def run_commands(folder):
    """{command: (exit code, stdout, stderr, seconds)} and the files written, for the copy in folder."""
    results = {}
    for name, args in COMMANDS.items():
        start = time.monotonic()
        try:
            p = subprocess.run([EXE, *args], cwd=folder, capture_output=True, timeout=TIMEOUT,
                               preexec_fn=limit_memory)
            results[name] = (p.returncode, p.stdout, p.stderr.decode(errors="replace"), time.monotonic() - start)
        except subprocess.TimeoutExpired:
            results[name] = ("timeout", b"", "", time.monotonic() - start)
    return results, outputs(folder)


# --- damage ----------------------------------------------------------------------------------------

def random_damage(data, rng, copies):
    """(kind, description, bytes) for `copies` random copies: 40 % zeroed 512-byte blocks (one in
    each stretch of the file, so that together they cover all of it), 40 % bit flips, 20 %
    truncations."""
    out = []
    blocks = len(data) // 512
    zeroed = max(1, copies * 4 // 10)
    flips = max(1, copies * 4 // 10)
    cuts = max(1, copies - zeroed - flips)
    for i in range(zeroed):
        lo, hi = blocks * i // zeroed, max(blocks * (i + 1) // zeroed, blocks * i // zeroed + 1)
        block = rng.randrange(lo, hi)
        d = bytearray(data)
        was_zero = not any(d[block * 512:(block + 1) * 512])
        d[block * 512:(block + 1) * 512] = bytes(len(d[block * 512:(block + 1) * 512]))
        out.append(("zeroed block" + (" (was 0)" if was_zero else ""), f"zeroed 512 bytes at {block * 512}",
                    bytes(d)))
    for _ in range(flips):
        bits = rng.choice([1, 1, 2, 4, 16, 64])
        d = bytearray(data)
        where = []
        for _ in range(bits):
            i = rng.randrange(len(d) * 8)
            d[i // 8] ^= 1 << (i % 8)
            where.append(i // 8)
        out.append(("bit flips", f"{bits} bit flip(s) at bytes {sorted(where)[:8]}", bytes(d)))
    for _ in range(cuts):
        size = rng.randrange(len(data))
        out.append(("truncated", f"truncated to {size} of {len(data)} bytes", data[:size]))
    return out


def chunk_index_damage(data, original):
    """Damage aimed at the chunk index, the one piece of metadata the HDF5 1.8 format does not
    checksum (a v1 B-tree): in the node that points to a column's first chunk, the key's row offset
    (the chunk is lost), its filter mask (the shuffle is skipped), its size, the chunk's address, or
    the entry and the key after it zeroed (address 0, 0 bytes: HDF5 reads fill values)."""
    out = []
    with h5py.File(original, "r") as f:
        chunks = {path: f[path].id.get_chunk_info(0) for path in
                  ["intervals/cpu", "threads/work_ns", "ranks/end_ns", "intervals/begin_ns", "hosts/pus"]}
    # A v1 B-tree node: "TREE", type 1 (chunks), level, entries, 2 siblings (24 bytes); then key 0
    # (size 4, filter mask 4, row offset 8, element offset 8), child 0 (the chunk's address), ...
    fields = [("row offset", 8, (1 << 40).to_bytes(8, "little")),
              ("filter mask", 4, (1).to_bytes(4, "little")),
              ("size", 0, (chunks["ranks/end_ns"].size // 2).to_bytes(4, "little")),
              ("address", 24, (chunks["intervals/begin_ns"].byte_offset + 8).to_bytes(8, "little")),
              ("index entry (zeroed, with the key after it)", 0, bytes(56))]
    for (path, info), (field, at, value) in zip(chunks.items(), fields):
        address = info.byte_offset.to_bytes(8, "little")
        nodes = [m.start() - 48 for m in re.finditer(re.escape(address), data)
                 if m.start() >= 48 and data[m.start() - 48:m.start() - 43] == b"TREE\x01"]
        if len(nodes) != 1:
            raise RuntimeError(f"no chunk index node found for {path}")
        d = bytearray(data)
        d[nodes[0] + 24 + at:nodes[0] + 24 + at + len(value)] = value
        out.append(("chunk index", f"{path}: the {field} of its first chunk", bytes(d)))
    return out


def replace(f, path, data=None, **kw):
    del f[path]
    if data is None:
        f.create_dataset(path, **kw)
    else:
        f.create_dataset(path, data=data, **kw)


def add_to(path, index, delta):
    def edit(f):
        values = f[path][()]
        values[index] += delta
        f[path][...] = values
    return edit


def set_attr(name, value):
    def edit(f):
        f.attrs[name] = value
    return edit


def resize(path, delta):
    def edit(f):
        values = f[path][()]
        values = values[:delta] if delta < 0 else np.concatenate([values, values[:delta]])
        replace(f, path, values, chunks=True, compression="gzip", fletcher32=True)
    return edit


def fill_only(path, rows, dtype):
    """A column that claims `rows` rows but stores none (reading it gives fill values)."""
    def edit(f):
        replace(f, path, shape=(rows,), dtype=dtype, chunks=(min(rows, 1 << 16),))
    return edit


def recreate(path, convert, **kw):
    def edit(f):
        replace(f, path, convert(f[path][()]), **kw)
    return edit


def consistent_threads(rows):
    """/threads claims `rows` rows everywhere, threads_per_rank agreeing, but stores none of them."""
    def edit(f):
        f.attrs["threads_per_rank"] = np.int64(rows // int(f.attrs["ranks"]))
        for name in list(f["threads"]):
            d = f["threads"][name]
            replace(f, d.name, shape=(rows,), dtype=d.dtype, chunks=(1 << 16,))
    return edit


def delete(path):
    def edit(f):
        del f[path]
    return edit


def renamed_kinds(f):
    codes = h5py.check_enum_dtype(f["intervals/kind"].dtype)
    names = sorted(codes, key=codes.get)
    names[1], names[3] = names[3], names[1]  # "work" and "idle" swapped
    replace(f, "intervals/kind", f["intervals/kind"][()].astype("u1"),
            dtype=h5py.enum_dtype({n: i for i, n in enumerate(names)}, basetype="u1"))


def with_bytes(path, index, value):
    def edit(f):
        values = list(f[path][()])
        values[index] = value
        width = max(len(v) for v in values)
        replace(f, path, np.array(values, dtype=f"S{width}"))
    return edit


def swap_rows(path, a, b):
    def edit(f):
        values = f[path][()]
        values[[a, b]] = values[[b, a]]
        f[path][...] = values
    return edit


# (name, edit, whether the output must stay the same: None = either way)
EDITS = [
    ("attribute ranks = 0", set_attr("ranks", np.int64(0))),
    ("attribute ranks = -1", set_attr("ranks", np.int64(-1))),
    ("attribute ranks = 3", set_attr("ranks", np.int64(3))),
    ("attribute ranks = 2^40", set_attr("ranks", np.int64(1 << 40))),
    ("attribute ranks = 2^62 (overflows ranks x threads)", set_attr("ranks", np.int64(1 << 62))),
    ("attribute ranks as 1000 values", set_attr("ranks", np.arange(1000, dtype="i8"))),
    ("attribute ranks as a double", set_attr("ranks", np.float64(2))),
    ("attribute ranks as a string", set_attr("ranks", np.bytes_(b"2"))),
    ("attribute threads_per_rank = 0", set_attr("threads_per_rank", np.int64(0))),
    ("attribute threads_per_rank = 10^9", set_attr("threads_per_rank", np.int64(10**9))),
    ("attribute threads_per_rank = 1", set_attr("threads_per_rank", np.int64(1))),
    ("attribute nodes = 0", set_attr("nodes", np.int64(0))),
    ("attribute nodes = 5", set_attr("nodes", np.int64(5))),
    ("attribute items_done = -1", set_attr("items_done", np.int64(-1))),
    ("attribute items_done = 10^12", set_attr("items_done", np.int64(10**12))),
    ("attribute items_done = 199", set_attr("items_done", np.int64(199))),
    ("attribute items_planned = 10^15", set_attr("items_planned", np.int64(10**15))),
    ("attribute complete = 7", set_attr("complete", np.int64(7))),
    ("attribute complete = 0", set_attr("complete", np.int64(0))),
    ("attribute schema_version = 99", set_attr("schema_version", np.int64(99))),
    ("attribute wall_seconds = NaN", set_attr("wall_seconds", np.float64("nan"))),
    ("attribute wall_seconds = inf", set_attr("wall_seconds", np.float64("inf"))),
    ("attribute wall_seconds = -1", set_attr("wall_seconds", np.float64(-1))),
    ("attribute wall_seconds = 1e300", set_attr("wall_seconds", np.float64(1e300))),
    ("attribute wall_seconds = 2.5", set_attr("wall_seconds", np.float64(2.5))),
    ("attribute wall_seconds as float32 NaN", set_attr("wall_seconds", np.float32("nan"))),
    ("attribute checksum = 'zz'", set_attr("checksum", np.bytes_(b"zz"))),
    ("attribute checksum another 16 hex digits", set_attr("checksum", np.bytes_(b"0123456789abcdef"))),
    ("attribute checksum of 1 MB", set_attr("checksum", np.bytes_(b"0" * (1 << 20)))),
    ("attribute stop_reason not UTF-8", set_attr("stop_reason", np.bytes_(b"\xff\xfe\n"))),
    ("attribute strategy variable-length", set_attr("strategy", "dynamic")),
    ("attribute workload deleted", lambda f: f.attrs.__delitem__("workload")),
    ("/intervals/begin_ns one row short", resize("intervals/begin_ns", -1)),
    ("/intervals/end_ns one row more", resize("intervals/end_ns", 1)),
    ("/threads/work_ns 3 rows", resize("threads/work_ns", -1)),
    ("/ranks/host 1 row", resize("ranks/host", -1)),
    ("/hosts/pus 2 rows", resize("hosts/pus", 1)),
    ("/intervals/end_ns claims 10^12 rows", fill_only("intervals/end_ns", 10**12, "i8")),
    ("/intervals/rank claims 3x10^7 rows (120 MB)", fill_only("intervals/rank", 3 * 10**7, "u4")),
    ("/threads/items claims 10^8 rows (800 MB)", fill_only("threads/items", 10**8, "u8")),
    ("/threads claims 10^8 rows, threads_per_rank agreeing", consistent_threads(10**8)),
    ("/ranks/host strings of 1 GB", lambda f: replace(f, "ranks/host", shape=(2,), dtype="S1000000000")),
    ("/threads/idle_ns 10^7 zeros, compressed", lambda f: replace(
        f, "threads/idle_ns", np.zeros(10**7, dtype="i8"), chunks=(1 << 20,), compression="gzip",
        compression_opts=9)),
    ("/ranks/host 64 bytes wide, same names", recreate("ranks/host", lambda v: v.astype("S64"))),
    ("/threads/allowed_cpus 0-99999999", with_bytes("threads/allowed_cpus", 0, b"0-99999999")),
    ("/threads/allowed_cpus garbage", with_bytes("threads/allowed_cpus", 1, b"1,,x")),
    ("/ranks/host not UTF-8", with_bytes("ranks/host", 0, b"\xc3(")),
    ("/ranks/host variable-length", recreate("ranks/host", lambda v: v.astype(object),
                                             dtype=h5py.string_dtype())),
    ("/intervals/rank as int64", recreate("intervals/rank", lambda v: v.astype("i8"))),
    ("/threads/work_ns as float64", recreate("threads/work_ns", lambda v: v.astype("f8"))),
    ("/threads/items 2-D", recreate("threads/items", lambda v: v.reshape(-1, 1))),
    ("/intervals/kind not an enum", recreate("intervals/kind", lambda v: v.astype("u1"))),
    ("/intervals/kind names swapped", renamed_kinds),
    ("/intervals/kind code 200", add_to("intervals/kind", 3, 200)),
    ("/intervals/begin_ns one row 1 ns later", add_to("intervals/begin_ns", 10, 1)),
    ("/intervals/end_ns last row 1 ms earlier", add_to("intervals/end_ns", -1, -10**6)),
    ("/intervals/rank of row 0", add_to("intervals/rank", 0, 1)),
    ("/intervals/thread of row 20", add_to("intervals/thread", 20, 1)),
    ("/intervals/item of row 5", add_to("intervals/item", 5, 10**9)),
    ("/intervals/cpu_ns of a row", add_to("intervals/cpu_ns", 7, 12345)),
    ("/threads/work_ns + 1 ms", add_to("threads/work_ns", 0, 10**6)),
    ("/threads/work_ns = -5", add_to("threads/work_ns", 1, -10**15)),
    ("/threads/items + 1", add_to("threads/items", 0, 1)),
    ("/threads/intervals + 1", add_to("threads/intervals", 0, 1)),
    ("/threads/dropped_intervals + 1", add_to("threads/dropped_intervals", 2, 1)),
    ("/threads/rank rows swapped", swap_rows("threads/rank", 0, 3)),
    ("/threads/item_cpu_ns negative", add_to("threads/item_cpu_ns", 0, -10**15)),
    ("/ranks/rank of row 1", add_to("ranks/rank", 1, 4)),
    ("/ranks/begin_ns of rank 1 - 1 ms", add_to("ranks/begin_ns", 1, -10**6)),
    ("/ranks/end_ns of rank 0 + 1 s", add_to("ranks/end_ns", 0, 10**9)),
    ("/ranks/checksum part changed", add_to("ranks/checksum", 0, 1)),
    ("/ranks/items + 1", add_to("ranks/items", 1, 1)),
    ("/ranks/clock_round_trip_start_ns negative", add_to("ranks/clock_round_trip_start_ns", 1, -10**12)),
    ("/hosts/ranks = 7", add_to("hosts/ranks", 0, 5)),
    ("/threads/work_ns deleted", delete("threads/work_ns")),
    ("/intervals/cpu deleted", delete("intervals/cpu")),
    ("/ranks/items deleted", delete("ranks/items")),
    ("/environment deleted", delete("environment")),
    ("/hosts deleted", delete("hosts")),
    ("/intervals deleted", delete("intervals")),
]


# --- the test --------------------------------------------------------------------------------------

def classify(stderr):
    """How a copy was caught, from the one line: which check, and for HDF5's own errors the innermost
    reason (numbers left out)."""
    if "claims" in stderr:
        return "size bound (h5::File)"
    if "are not stored" in stderr or "without filter" in stderr:
        return "chunk index check (h5::File)"
    if "damaged timeline:" in stderr:
        return "cross-check (timeline reader)"
    if re.search(r"checksum|fletcher", stderr, re.I):
        return "HDF5: checksum"
    if re.search(r"schema_version -?[0-9]+ \(accepted", stderr):
        return "schema_version"
    if "HDF5: cannot" not in stderr and "HDF5: " in stderr:
        return "type or shape check (h5::File)"
    m = re.search(r"HDF5: cannot [^:]*: ([^;\n]*)", stderr)
    return "HDF5: " + re.sub(r"[0-9]+", "N", m.group(1)).strip()[:60] if m else "other"


def main():
    print(f"seed {SEED} (HYBRIDSCOPE_DAMAGE_SEED={SEED} replays): {COPIES} random copies, 5 aimed at the chunk "
          f"index, {len(EDITS)} h5py edits", flush=True)
    rng = random.Random(SEED)
    failures = []
    work = tempfile.mkdtemp(prefix="hybridscope-damage-")
    try:
        original_dir = os.path.join(work, "original")
        os.mkdir(original_dir)
        original = os.path.join(original_dir, NAME)
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="2",
                   OMPI_MCA_rmaps_base_oversubscribe="1")
        p = subprocess.run([MPIEXEC, "-np", "2", "--oversubscribe", "--bind-to", "none", EXE, "run",
                            "--set", "items=200", "--set", "workload.n=24", "-o", original],
                           capture_output=True, text=True, timeout=300, env=env)
        if p.returncode != 0:
            print(f"FAIL: hybridscope run: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
            return 1
        # The file format: every dataset chunked with Fletcher-32 checksums; superblock version 2 or
        # later and version 2 object headers ("OHDR"), whose metadata carries checksums.
        with open(original, "rb") as f:
            data = f.read()
        with h5py.File(original, "r") as f:
            objects = {"/": f}
            f.visititems(lambda name, o: objects.setdefault(name, o))
            unchecked = [n for n, o in objects.items() if isinstance(o, h5py.Dataset) and not o.fletcher32]
            old_headers = [n for n, o in objects.items()
                           if data[h5py.h5o.get_info(o.id).addr:][:4] != b"OHDR"]
        for ok, message in [(not unchecked, f"every dataset has Fletcher-32 checksums{f': not {unchecked}' if unchecked else ''}"),
                            (data[8] >= 2, f"superblock version {data[8]} (accepted: 2 or later, checksummed)"),
                            (not old_headers, "every object header is version 2 (checksummed)"
                             + (f": not {old_headers}" if old_headers else ""))]:
            print(("ok: " if ok else "FAIL: ") + message)
            if not ok:
                failures.append(message)
        baseline, baseline_files = run_commands(original_dir)
        for name, (code, out, err, _) in baseline.items():
            if code != 0:
                print(f"FAIL: {name} on the undamaged file: exit {code}: {err}")
                return 1

        copies = [(kind, what, damaged) for kind, what, damaged in random_damage(data, rng, COPIES)]
        copies += chunk_index_damage(data, original)
        copies += [("h5py edit", name, edit) for name, edit in EDITS]

        # All copies are made first: an h5py edit holds its file open (and locked, HDF5's flock),
        # and a command started meanwhile from another thread would inherit that descriptor.
        problems = {}
        for index, (kind, what, damage) in enumerate(copies):
            folder = os.path.join(work, f"copy{index}")
            os.mkdir(folder)
            path = os.path.join(folder, NAME)
            if callable(damage):
                shutil.copyfile(original, path)
                try:
                    with h5py.File(path, "r+") as f:
                        damage(f)
                except Exception as e:  # noqa: BLE001 - the test's own edit failed
                    problems[index] = f"the edit failed: {type(e).__name__}: {e}"
            else:
                with open(path, "wb") as f:
                    f.write(damage)

        def one(index):
            if index in problems:
                return index, None, problems[index]
            results, files = run_commands(os.path.join(work, f"copy{index}"))
            return index, (results, files), None

        verdicts = collections.Counter()     # per copy: (kind, outcome)
        how = collections.Counter()          # per run that caught: how
        example = {}                         # a message of each way
        slowest = 0.0
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for index, result, problem in pool.map(one, range(len(copies))):
                kind, what, _ = copies[index]
                label = f"copy {index} ({kind}: {what})"
                if problem:
                    failures.append(f"{label}: {problem}")
                    print(f"FAIL: {failures[-1]}", flush=True)
                    continue
                results, files = result
                caught, same, bad = [], [], []
                for name, (code, out, err, seconds) in results.items():
                    slowest = max(slowest, seconds)
                    if code == 0:
                        own = WRITES.get(name)
                        written = {k: v for k, v in files.items() if k.split(os.sep)[0] == own}
                        expected = {k: v for k, v in baseline_files.items() if k.split(os.sep)[0] == own}
                        if out == baseline[name][1] and written == expected:
                            same.append(name)
                        else:
                            bad.append(f"{name}: exit 0 but its output differs from the undamaged file's")
                    elif code == 2:
                        lines = err.splitlines()
                        if len(lines) == 1 and err.endswith("\n") and NAME in lines[0]:
                            caught.append(name)
                            how[classify(err)] += 1
                            example.setdefault(classify(err), lines[0])
                        else:
                            bad.append(f"{name}: exit 2 but stderr is not one line naming the file: {err[:500]!r}")
                    elif code == "timeout":
                        bad.append(f"{name}: no end within {TIMEOUT} s")
                    else:
                        bad.append(f"{name}: exit {code}"
                                   + (f" (signal {-code})" if isinstance(code, int) and code < 0 else "")
                                   + f": {err[-500:]!r}")
                if bad:
                    for b in bad:
                        failures.append(f"{label}: {b}")
                        print(f"FAIL: {failures[-1]}", flush=True)
                    if KEEP:
                        os.makedirs(KEEP, exist_ok=True)
                        shutil.copyfile(os.path.join(work, f"copy{index}", NAME), os.path.join(KEEP, f"copy{index}.h5"))
                    verdicts[(kind, "FAILED")] += 1
                elif not caught:
                    verdicts[(kind, "harmless: exit 0, same output")] += 1
                elif not same:
                    verdicts[(kind, "caught by every command")] += 1
                else:
                    verdicts[(kind, "caught by some commands, the others unaffected")] += 1
                    if kind == "h5py edit":
                        print(f"   {label}: exit 2 from {caught}, the same output from {same}", flush=True)
                shutil.rmtree(os.path.join(work, f"copy{index}"), ignore_errors=True)

        print(f"\n{len(copies)} damaged copies x {len(COMMANDS)} commands (seed {SEED}); slowest command "
              f"{slowest:.2f} s")
        for (kind, outcome), n in sorted(verdicts.items()):
            print(f"  {kind:21} {outcome:48} {n:4}")
        print("runs that ended in exit 2, by what caught the damage:")
        for reason, n in how.most_common():
            print(f"  {n:5}  {reason}\n         e.g. {example[reason][:220]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
