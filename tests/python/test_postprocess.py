#!/usr/bin/python3
"""hybridscope report, plot, compare and export on timelines with known answers.

Usage: test_postprocess.py HYBRIDSCOPE
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checking  # noqa: E402
from checking import check  # noqa: E402
import make_timeline  # noqa: E402

EXE = os.path.abspath(sys.argv[1])
MS = 1_000_000


def run(*args, expect=0):
    return checking.run(EXE, *args, expect=expect)


LANES = make_timeline.KNOWN_LANES


def report_numbers(work):
    path = os.path.join(work, "known.h5")
    make_timeline.write(path, LANES, 1000 * MS)
    p = run("report", path, "--json")
    r = json.loads(p.stdout)
    close = lambda a, b: abs(a - b) < 1e-9  # noqa: E731
    e, m = r["efficiency"], r["mpi_efficiency"]
    check(close(e["load_balance"], 0.75) and close(e["communication"], 0.8) and close(e["parallel"], 0.6),
          f"POP efficiency LB 0.75 x CommE 0.8 = 0.6: {e}")
    # No MPI call in the run and every rank busy to the end: MPI 1, OpenMP carries everything (POP).
    check(close(m["load_balance"], 1) and close(m["communication"], 1) and close(m["parallel"], 1),
          f"MPI efficiency 1 x 1 = 1: {m}")
    o = r["openmp_efficiency"]
    check(close(o["load_balance"], 0.75) and close(o["communication"], 0.8) and close(o["parallel"], 0.6),
          f"OpenMP efficiency 0.75 x 0.8 = 0.6: {o}")
    check(close(r["efficiency"]["parallel"], m["parallel"] * o["parallel"]), "MPI x OpenMP = overall")
    # Additive: OpenMP 1 + 0.6 - 1 = 0.6; its balance 1 - mean(0.8 - 0.6, 0.6 - 0.6) / 1 = 0.9.
    a = r["additive"]["openmp"]
    check(close(a["parallel"], 0.6) and close(a["load_balance"], 0.9) and close(a["communication"], 0.7),
          f"additive OpenMP 0.6 = 0.9 + 0.7 - 1: {a}")
    t = {(x["rank"], x["thread"]): x for x in r["threads"]}
    check(close(t[(0, 1)]["shares"]["handout"], 0.1) and close(t[(1, 0)]["shares"]["lock_wait"], 0.1),
          "shares per kind")
    check(t[(0, 1)]["migrations"] == 2 and t[(0, 1)]["cores"] == [0, 1], f"migrations of r0t1: {t[(0, 1)]}")
    check(t[(1, 0)]["migrations"] == 1 and t[(0, 0)]["migrations"] == 0, "migrations of r1t0 and r0t0")
    check([x["items"] for x in r["threads"]] == [2, 2, 2, 1], "items per thread")
    check(close(r["items_per_second"], 7.0), f"items/s {r['items_per_second']}")
    shared = [w for w in r["warnings"] if "shared a core" in w]
    check(len(shared) == 1 and "core 1" in shared[0] and "0.200 s" in shared[0], f"shared core warning: {shared}")
    check(any("migrated" in w for w in r["warnings"]), "migration warning")
    check(not any("more workers than cores" in w for w in r["warnings"]), "no oversubscription warning on 8 cores")
    text = run("report", path).stdout
    check("efficiency 0.600 = load balance 0.750 x communication 0.800" in text, "text report")

    crowded = os.path.join(work, "crowded.h5")
    make_timeline.write(crowded, LANES, 1000 * MS, hosts=(("node1", 2, 2),), complete=False)
    r = json.loads(run("report", crowded, "--json").stdout)
    check(any("4 workers on node1, which has 2 hardware threads" in w for w in r["warnings"]),
          "oversubscription warning")
    check(any("incomplete" in w for w in r["warnings"]), "incomplete warning")
    return path


def plot(work, known):
    svg = os.path.join(work, "known.svg")
    run("plot", known, "-o", svg)
    root = ET.parse(svg).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    lanes = root.findall(".//s:g[@class='lane']", ns)
    check(len(lanes) == 4, f"one lane per thread: {len(lanes)}")
    colours = {r.get("fill") for r in lanes[0].findall(".//s:rect", ns)}
    check("#2ca02c" in colours, "the work colour appears in lane r0 t0")
    check(len(root.findall(".//s:rect[@class='items']", ns)) == 4, "items-per-thread panel")
    before = open(svg, "rb").read()
    run("plot", known, "-o", svg, expect=2)
    check(open(svg, "rb").read() == before, "an existing plot is not overwritten")

    # The picture's size does not grow with the number of intervals.
    big_lanes = {}
    for lane in range(4):
        n = 50_000
        step = 1000 * MS // n
        big_lanes[(lane // 2, lane % 2)] = [("work" if i % 2 else "idle", i * step, (i + 1) * step, 0, i if i % 2 else -1)
                                            for i in range(n)]
    big = os.path.join(work, "big.h5")
    make_timeline.write(big, big_lanes, 1000 * MS)
    big_svg = os.path.join(work, "big.svg")
    run("plot", big, "-o", big_svg)
    check(os.path.getsize(big_svg) < 3 * os.path.getsize(svg) + 200_000,
          f"200k intervals plot in {os.path.getsize(big_svg)} bytes")
    window = os.path.join(work, "window.svg")
    run("plot", known, "-o", window, "--from", "0.2", "--to", "0.4")
    check(ET.parse(window).getroot() is not None, "a time window plots")
    run("plot", known, "-o", os.path.join(work, "bad.svg"), "--from", "0.5", "--to", "0.4", expect=2)

    chromium = shutil.which("chromium")
    check(chromium is not None, "chromium is installed")
    if chromium:
        png = os.path.join(work, "known.png")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--screenshot={png}", "--window-size=1400,500", "file://" + svg],
                       capture_output=True, timeout=120)
        ok = os.path.exists(png)
        if ok:
            head = open(png, "rb").read(24)
            width, height = struct.unpack(">II", head[16:24])
            ok = head[:8] == b"\x89PNG\r\n\x1a\n" and (width, height) == (1400, 500) and os.path.getsize(png) > 5000
        check(ok, "the SVG renders to a PNG in headless Chromium")


def exports(work, known):
    out = os.path.join(work, "known.json")
    run("export", known, "--format", "perfetto", "-o", out)
    trace = json.load(open(out))
    events = trace["traceEvents"]
    complete = [e for e in events if e["ph"] == "X"]
    check(len(complete) == sum(len(v) for v in LANES.values()), f"one Perfetto event per interval: {len(complete)}")
    names = {(e["pid"], e.get("tid")) for e in events if e["ph"] == "M"}
    check({(0, None), (1, None), (0, 0), (0, 1), (1, 0), (1, 1)} <= names, "process and thread names")
    work_event = next(e for e in complete if e["pid"] == 0 and e["tid"] == 0 and e["name"] == "work")
    check(work_event["ts"] == 100000.0 and work_event["dur"] == 400000.0 and work_event["args"]["item"] == 0,
          f"event times in microseconds: {work_event}")
    p = run("export", known, "--format", "perfetto", "-o", os.path.join(work, "too_many.json"), "--max-events", "10",
            expect=2)
    check("--from/--to" in p.stderr and "--sample" in p.stderr and not os.path.exists(os.path.join(work, "too_many.json")),
          "too many events: refused with the way out, nothing written")
    sampled = os.path.join(work, "sampled.json")
    run("export", known, "--format", "perfetto", "-o", sampled, "--sample", "2")
    check(len([e for e in json.load(open(sampled))["traceEvents"] if e["ph"] == "X"]) == 9, "--sample 2")

    archive = os.path.join(work, "known_otf2")
    run("export", known, "--format", "otf2", "-o", archive)
    printed = subprocess.run(["otf2-print", os.path.join(archive, "traces.otf2")], capture_output=True, text=True,
                             timeout=60)
    enters = len(re.findall(r"^ENTER ", printed.stdout, re.M))
    leaves = len(re.findall(r"^LEAVE ", printed.stdout, re.M))
    n = sum(len(v) for v in LANES.values())
    check(printed.returncode == 0 and enters == n and leaves == n, f"otf2-print: {enters} enter, {leaves} leave of {n}")
    check('Region: "lock_wait"' in printed.stdout, "regions per kind")


def compare(work, known):
    runs = []
    for name, lanes in [("one", {(0, 0): [("work", 0, 1000 * MS, 0, 0)]}),
                        ("two", {(0, 0): [("work", 0, 500 * MS, 0, 0)], (1, 0): [("work", 0, 500 * MS, 1, 1)]})]:
        path = os.path.join(work, name + ".h5")
        make_timeline.write(path, lanes, max(e for v in lanes.values() for _, _, e, *_ in v))
        runs.append(path)
    chart = os.path.join(work, "compare.svg")
    p = run("compare", *runs, known, "-o", chart)
    lines = p.stdout.splitlines()
    check(re.search(r"^2 +2x1 processes +2 +0\.500 +2\.00x", lines[2]) is not None, f"speedup row: {lines[2]}")
    check("1x2 threads" not in p.stdout and "2x2 hybrid" in p.stdout, "layout kinds")
    root = ET.parse(chart).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    wall = root.findall(".//s:g[@data-chart='wall']//s:rect[@class='bar']", ns)
    efficiency = root.findall(".//s:g[@data-chart='efficiency']//s:rect[@class='bar']", ns)
    check(len(wall) == 3 and len(efficiency) == 9, f"a wall time bar per run, three efficiency segments per run: "
          f"{len(wall)}, {len(efficiency)}")
    check(len(root.findall(".//s:polyline[@class='series']", ns)) >= 2, "a scaling chart when worker counts differ")


def bad_input(work):
    p = run("report", os.path.join(work, "missing.h5"), expect=2)
    check(p.stderr.count("\n") == 1 and "missing.h5" in p.stderr, f"missing file: {p.stderr.strip()}")
    junk = os.path.join(work, "junk.h5")
    open(junk, "w").write("not hdf5")
    p = run("report", junk, expect=2)
    check(p.stderr.count("\n") == 1 and "junk.h5" in p.stderr, f"not a timeline: {p.stderr.strip()}")
    run("export", junk, "--format", "vtk", expect=2)


with tempfile.TemporaryDirectory() as work:
    known = report_numbers(work)
    plot(work, known)
    exports(work, known)
    compare(work, known)
    bad_input(work)

checking.finish()
