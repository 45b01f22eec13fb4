#!/usr/bin/python3
"""Reads a hybridscope timeline as docs/timeline-format.md describes and checks its invariants.

Usage: check_timeline.py FILE --ranks N --threads T
       [--incomplete REASON [--min-items N] [--abandoned] | --stopped-by REASON]
Exits non-zero with a message on the first violation.
"""
import argparse
import sys

import h5py
import numpy as np
import pandas as pd


def load_intervals(f):
    """The docs' recipe: one DataFrame row per interval, kind as a categorical of its names."""
    g = f["intervals"]
    df = pd.DataFrame({name: g[name][()] for name in g})
    codes = h5py.check_enum_dtype(g["kind"].dtype)
    names = sorted(codes, key=codes.get)
    df["kind"] = pd.Categorical.from_codes(df["kind"], categories=names)
    return df


def table(f, name):
    g = f[name]
    return pd.DataFrame({col: g[col].asstr()[()] if g[col].dtype.kind == "S" else g[col][()] for col in g})


def fail(message):
    print(f"check_timeline: FAIL: {message}")
    sys.exit(1)


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
        intervals = load_intervals(f)
        ranks = table(f, "ranks")
        threads = table(f, "threads")
        given = f["input/given"].asstr()[0]

    if attrs["schema_version"] != 1:
        fail(f"schema_version {attrs['schema_version']}")
    if (attrs["ranks"], attrs["threads_per_rank"]) != (args.ranks, args.threads):
        fail(f"layout {attrs['ranks']} x {attrs['threads_per_rank']}")
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

    # An item is a run of consecutive rows of one thread with its number (a gil item is slices and
    # lock waits); it finished if the run ends in work or io, not abandoned.
    lane_change = (intervals["rank"].shift(-1) != intervals["rank"]) | \
        (intervals["thread"].shift(-1) != intervals["thread"])
    last_of_item = (intervals["item"].shift(-1) != intervals["item"]) | lane_change
    finished = intervals[last_of_item & intervals["kind"].isin(["work", "io"]) & (intervals["item"] >= 0)]
    if finished["item"].duplicated().any():
        fail("an item was executed twice")
    if len(finished) != attrs["items_done"] or threads["items"].sum() != attrs["items_done"]:
        fail(f"{len(finished)} finished items recorded, {threads['items'].sum()} counted, "
             f"{attrs['items_done']} done")
    print(f"check_timeline: ok: {len(intervals)} intervals, {attrs['items_done']} items, "
          f"complete={attrs['complete']}")


if __name__ == "__main__":
    main()
