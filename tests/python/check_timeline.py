#!/usr/bin/python3
"""Reads a hybridscope timeline as docs/timeline-format.md describes and checks its invariants.

Usage: check_timeline.py FILE --ranks N --threads T
       [--incomplete REASON [--min-items N] [--abandoned] | --stopped-by REASON]
Exits non-zero with a message on the first violation.

Independent of the details that change with the format: the interval kinds are read from the
file's enum (only `work`, `io` and `abandoned` are named, as the items' end rows), and columns
beyond those checked here are ignored.
"""
import argparse
import re
import sys

import h5py
import numpy as np
import pandas as pd

# The schema versions this checker knows (docs/timeline-format.md); a new one must be looked at.
KNOWN_SCHEMA_VERSIONS = (1, 2, 3)
# An item finished if its run of rows ends with one of these kinds (docs/timeline-format.md).
FINISHED_KINDS = ("work", "io")


def load_intervals(f):
    """The docs' recipe: one DataFrame row per interval, kind as a categorical of its names (taken
    from the file's enum, by code, so that new kinds and codes need no change here)."""
    g = f["intervals"]
    df = pd.DataFrame({name: g[name][()] for name in g})
    codes = h5py.check_enum_dtype(g["kind"].dtype)
    if not codes:
        fail("intervals/kind is not an HDF5 enum")
    names = sorted(codes, key=codes.get)
    by_code = {code: name for name, code in codes.items()}
    unknown = set(np.unique(df["kind"])) - set(by_code)
    if unknown:
        fail(f"intervals/kind holds codes {sorted(unknown)} that its enum does not name ({codes})")
    df["kind"] = pd.Categorical(df["kind"].map(by_code), categories=names)
    return df, names


def table(f, name):
    g = f[name]
    return pd.DataFrame({col: g[col].asstr()[()] if g[col].dtype.kind == "S" else g[col][()] for col in g})


def fail(message):
    print(f"check_timeline: FAIL: {message}")
    sys.exit(1)


def check_items_and_checksum(attrs, intervals, kinds, ranks, threads):
    """items_done against the rows, the per-thread and per-rank counters, and the checksum against
    the ranks' parts. Returns the number of dropped intervals."""
    for kind in FINISHED_KINDS + ("abandoned",):
        if kind not in kinds:
            fail(f"the interval kind enum has no '{kind}': {kinds}")
    items_done = int(attrs["items_done"])
    if not 0 <= items_done <= int(attrs["items_planned"]):
        fail(f"items_done {items_done} of {attrs['items_planned']} planned")
    if attrs["complete"] == 1 and items_done != attrs["items_planned"]:
        fail(f"complete, but {items_done} of {attrs['items_planned']} items done")

    # The counters: every thread's items add up to its rank's, and all of them to items_done.
    thread_items = int(threads["items"].astype(np.uint64).sum())
    rank_items = int(ranks["items"].astype(np.uint64).sum())
    if thread_items != items_done or rank_items != items_done:
        fail(f"items_done {items_done}, but /threads/items sums to {thread_items} and /ranks/items to {rank_items}")
    per_rank = threads.groupby("rank")["items"].sum()
    for _, r in ranks.iterrows():
        if int(per_rank.get(r["rank"], 0)) != int(r["items"]):
            fail(f"rank {r['rank']}: /ranks/items {r['items']}, its threads {int(per_rank.get(r['rank'], 0))}")

    # The rows: an item is a run of consecutive rows of one thread with its number (a gil item is
    # slices and lock waits); it finished if the run ends in work or io, not abandoned.
    lane_change = (intervals["rank"].shift(-1) != intervals["rank"]) | \
        (intervals["thread"].shift(-1) != intervals["thread"])
    last_of_item = (intervals["item"].shift(-1) != intervals["item"]) | lane_change
    finished = intervals[last_of_item & intervals["kind"].isin(FINISHED_KINDS) & (intervals["item"] >= 0)]
    if finished["item"].duplicated().any():
        fail(f"an item was executed twice: {sorted(finished['item'][finished['item'].duplicated()].tolist())[:10]}")
    # A resumed run (schema 3) runs items of the whole farm: items_carried + items_planned of them.
    farm_items = int(attrs["items_planned"]) + int(attrs.get("items_carried", 0))
    if ((finished["item"] >= farm_items) | (intervals["item"] < -1)).any():
        fail("an interval names an item outside [0, items_carried + items_planned)")

    dropped = int(threads["dropped_intervals"].astype(np.uint64).sum()) if "dropped_intervals" in threads else 0
    if "dropped_intervals" in ranks and int(ranks["dropped_intervals"].astype(np.uint64).sum()) != dropped:
        fail(f"/ranks/dropped_intervals sums to {int(ranks['dropped_intervals'].sum())}, /threads to {dropped}")
    if dropped == 0:
        # Every finished item has its rows: as many as items_done, and per thread as /threads/items.
        if len(finished) != items_done:
            fail(f"{len(finished)} finished items in /intervals, items_done {items_done}")
        seen = finished.groupby(["rank", "thread"]).size()
        for _, t in threads.iterrows():
            rows = int(seen.get((t["rank"], t["thread"]), 0))
            if rows != int(t["items"]):
                fail(f"rank {t['rank']} thread {t['thread']}: {rows} finished items in /intervals, "
                     f"/threads/items {t['items']}")
        if "intervals" in threads and int(threads["intervals"].astype(np.uint64).sum()) != len(intervals):
            fail(f"/threads/intervals sums to {int(threads['intervals'].sum())}, /intervals has {len(intervals)} rows")
    elif len(finished) > items_done:
        fail(f"{len(finished)} finished items in /intervals, more than items_done {items_done}")

    # The checksum: 16 hex digits, the wrapping (mod 2^64) sum of the ranks' parts.
    checksum = attrs["checksum"]
    if not isinstance(checksum, str) or not re.fullmatch(r"[0-9a-f]{16}", checksum):
        fail(f"checksum {checksum!r} is not 16 hex digits")
    parts = sum(int(c) for c in ranks["checksum"].astype(np.uint64)) % (1 << 64)
    if parts != int(checksum, 16):
        fail(f"checksum {checksum}, but /ranks/checksum sums to {parts:016x} (mod 2^64)")
    return dropped


def check_item_ranges(f, attrs):
    """Schema 3: /succeeded holds the items done minus the failed ones, /carried the items_carried,
    all inside the farm's items and never twice."""
    farm_items = int(attrs["items_planned"]) + int(attrs["items_carried"])
    covered = np.zeros(farm_items, dtype=np.int64)
    for name, expected in (("succeeded", int(attrs["items_done"]) - int(attrs["items_failed"])),
                           ("carried", int(attrs["items_carried"]))):
        first, count = f[name]["first"][()], f[name]["count"][()]
        if int(count.sum()) != expected:
            fail(f"/{name} holds {int(count.sum())} items, {expected} expected")
        for a, n in zip(first.tolist(), count.tolist()):
            if n < 1 or a + n > farm_items:
                fail(f"/{name}: items {a} + {n} outside the farm's {farm_items}")
            covered[a:a + n] += 1
    if (covered > 1).any():
        fail(f"items in /succeeded or /carried twice: {np.flatnonzero(covered > 1)[:10].tolist()}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--incomplete", metavar="REASON")
    parser.add_argument("--min-items", type=int, default=1,
                        help="with --incomplete: the fewest items that must have been done")
    parser.add_argument("--abandoned", action="store_true",
                        help="items were under way at the stop: expect abandoned intervals, maybe no item done")
    parser.add_argument("--stopped-by", metavar="REASON",
                        help="a stop at an unknown moment: complete, or incomplete by REASON with any items")
    args = parser.parse_args()

    with h5py.File(args.file, "r") as f:
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        intervals, kinds = load_intervals(f)
        ranks = table(f, "ranks")
        threads = table(f, "threads")
        given = f["input/given"].asstr()[0]
        if f.attrs["schema_version"] >= 3:
            check_item_ranges(f, {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()})

    if attrs["schema_version"] not in KNOWN_SCHEMA_VERSIONS:
        fail(f"schema_version {attrs['schema_version']} (this checker knows {KNOWN_SCHEMA_VERSIONS})")
    if (attrs["ranks"], attrs["threads_per_rank"]) != (args.ranks, args.threads):
        fail(f"layout {attrs['ranks']} x {attrs['threads_per_rank']}")
    if len(ranks) != args.ranks or len(threads) != args.ranks * args.threads:
        fail(f"{len(ranks)} rows in /ranks and {len(threads)} in /threads for {args.ranks} x {args.threads}")
    if args.stopped_by and attrs["complete"] == 0:
        args.incomplete, args.min_items = args.stopped_by, 0
    if args.incomplete:
        if attrs["complete"] != 0 or args.incomplete not in attrs["stop_reason"]:
            fail(f"expected incomplete by {args.incomplete}: {attrs['complete']} '{attrs['stop_reason']}'")
        least = 0 if args.abandoned else args.min_items
        if not least <= attrs["items_done"] < attrs["items_planned"]:
            fail(f"items done {attrs['items_done']} of {attrs['items_planned']}")
        if args.abandoned and not (intervals["kind"] == "abandoned").any():
            fail("no abandoned interval")
    elif attrs["complete"] != 1:
        fail(f"incomplete: {attrs['stop_reason']}")
    if not given:
        fail("input/given is empty")

    # Every thread: a gap-free sequence from its rank's begin to its rank's end.
    if len(intervals.groupby(["rank", "thread"])) != args.ranks * args.threads:
        fail("not one lane per rank and thread")
    for (rank, thread), lane in intervals.groupby(["rank", "thread"], sort=False):
        begin, end = lane["begin_ns"].to_numpy(), lane["end_ns"].to_numpy()
        if not np.array_equal(begin[1:], end[:-1]):
            fail(f"rank {rank} thread {thread}: gap or overlap")
        r = ranks[ranks["rank"] == rank].iloc[0]
        if begin[0] != r["begin_ns"] or end[-1] != r["end_ns"]:
            fail(f"rank {rank} thread {thread} does not span its rank")
    if (intervals["begin_ns"] < 0).any() or (intervals["end_ns"] > attrs["wall_seconds"] * 1e9 + 1).any():
        fail("an interval lies outside the run")

    dropped = check_items_and_checksum(attrs, intervals, kinds, ranks, threads)
    print(f"check_timeline: ok: {len(intervals)} intervals ({dropped} dropped), {attrs['items_done']} items, "
          f"checksum {attrs['checksum']}, complete={attrs['complete']}")


if __name__ == "__main__":
    main()
