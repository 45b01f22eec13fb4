#!/usr/bin/python3
"""The pictures and pages as a person sees them: headless Chromium renders every SVG of plot, compare
and study and every HTML page of report --html and study; no text element overlaps another or leaves
its picture, every chart has ticks, axis titles and a legend that matches its series, the pages load
nothing from anywhere (also with the network unreachable), and the report's timeline zooms, pans and
names the interval under the mouse.

Usage: test_pictures.py HYBRIDSCOPE MPIEXEC
"""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "python"))
import checking  # noqa: E402
from checking import check  # noqa: E402
import make_timeline  # noqa: E402
import pictures  # noqa: E402
from chromium import Chromium  # noqa: E402

EXE, MPIEXEC = (os.path.abspath(a) for a in sys.argv[1:3])
MS = 1_000_000


def run(*args, expect=0):
    return checking.run(EXE, *args, expect=expect)


def looks_right(page, path, charts=True):
    """Opens a picture or page and checks what a reader sees."""
    page.open("file://" + path)
    found = pictures.problems(page.evaluate(pictures.CHECKS), os.path.basename(path), charts)
    check(not found, f"{os.path.basename(path)}: no overlapping or cut text; ticks, axis titles and legends"
          + ("" if not found else ":\n  " + "\n  ".join(found)))


LANES = make_timeline.KNOWN_LANES


def plots(page, work, known):
    svg = os.path.join(work, "known.svg")
    run("plot", known, "-o", svg)
    looks_right(page, svg)
    # Deep zoom: 100 ns of the run, the tick labels must still differ from each other.
    deep = os.path.join(work, "deep.svg")
    run("plot", known, "-o", deep, "--from", "0.3000001", "--to", "0.3000002")
    looks_right(page, deep)
    labels = page.evaluate("Array.from(document.querySelector('g.axis.x').querySelectorAll('.tick text')).map(e => e.textContent)")
    check(len(labels) >= 2 and len(set(labels)) == len(labels), f"deep zoom: distinct tick labels {labels[:4]}")
    # Two nodes: a heading and a group per node, the ranks' labels inside.
    nodes = os.path.join(work, "nodes.h5")
    make_timeline.write(nodes, LANES, 1000 * MS, hosts=(("node-a", 2, 2), ("node-b", 2, 2)))
    run("plot", nodes, "-o", os.path.join(work, "nodes.svg"))
    looks_right(page, os.path.join(work, "nodes.svg"))
    hosts = page.evaluate("Array.from(document.querySelectorAll('g.node')).map(g => g.dataset.host)")
    check(hosts == ["node-a", "node-b"], f"a group of lanes per node: {hosts}")
    run("report", nodes, "--html")
    looks_right(page, os.path.join(work, "nodes.html"), charts=False)
    ranks = page.evaluate("Array.from(document.querySelectorAll('#lane-labels text')).map(e => e.firstChild.nodeValue)")
    check("0 node-a" in ranks and "1 node-b" in ranks, f"the page's rank labels name their nodes: {ranks}")
    # 64 threads: the histogram's labels are thinned, not piled up.
    many = {(r, t): [("work", 0, (500 + 7 * (r * 8 + t)) * MS, t, r), ("idle", (500 + 7 * (r * 8 + t)) * MS, 1000 * MS, t, -1)]
            for r in range(8) for t in range(8)}
    crowded = os.path.join(work, "crowded.h5")
    make_timeline.write(crowded, many, 1000 * MS)
    run("plot", crowded, "-o", os.path.join(work, "crowded.svg"), "--width", "300")
    looks_right(page, os.path.join(work, "crowded.svg"))


def gil_like(work):
    """Fourteen timelines shaped like `study gil`'s default: gil and spin, 1-8 threads and 1-8 ranks."""
    paths = []
    for kernel in ("gil", "spin"):
        for ranks, threads in [(1, 1), (1, 2), (2, 1), (1, 4), (4, 1), (1, 8), (8, 1)]:
            workers = ranks * threads
            speed = 1 if kernel == "gil" and ranks == 1 else min(workers, 2) * (0.9 if workers > 1 else 1)
            wall = int(800 * MS / speed)
            lanes = {(r, t): [("startup", 0, 20 * MS, t, -1), ("work", 20 * MS, wall - 30 * MS, t, r),
                              ("idle", wall - 30 * MS, wall, t, -1)] for r in range(ranks) for t in range(threads)}
            path = os.path.join(work, f"{kernel}-{ranks}x{threads}.h5")
            description = "gil 0.05 s, switch interval 0.005 s" if kernel == "gil" else "spin 0.05 s"
            make_timeline.write(path, lanes, wall, text_attributes={"workload_description": description})
            paths.append(path)
    return paths


def compares(page, work):
    chart = os.path.join(work, "compare.svg")
    run("compare", *gil_like(work), "-o", chart)
    looks_right(page, chart)
    kinds = page.evaluate("Array.from(document.querySelectorAll('g[data-chart=speedup] polyline.series'))"
                          ".map(e => e.dataset.series + ' ' + e.getAttribute('stroke'))")
    check(sorted(kinds) == ["processes #d55e00", "processes #d55e00", "threads #0072b2", "threads #0072b2"],
          f"a speedup line per layout kind and workload, one colour per kind: {kinds}")
    check(page.evaluate("document.querySelectorAll('g[data-chart=speedup] .plot-area [data-series=ideal]').length") == 2,
          "an ideal line in each speedup chart")
    # Same workers, other strategies and long file names: the labels tell the runs apart, shortened.
    strategies = []
    for strategy in ("static-block", "dynamic"):
        path = os.path.join(work, f"a-very-long-file-name-of-a-timeline-that-goes-on-{strategy}.h5")
        make_timeline.write(path, LANES, 1000 * MS, text_attributes={"strategy": strategy})
        strategies.append(path)
    same = os.path.join(work, "same.svg")
    run("compare", *strategies, "-o", same)
    looks_right(page, same)


def html_report(page, work, known):
    html = os.path.join(work, "known.html")
    run("report", known, "--html")
    check(os.path.exists(html), "report --html writes RUN.html beside RUN.h5")
    text = open(html).read()
    check(pictures.external_references(text) == [], f"no external reference: {pictures.external_references(text)[:3]}")
    check("Content-Security-Policy" in text and "default-src 'none'" in text, "a policy that forbids any fetch")
    seconds = page.open("file://" + html)
    check(page.evaluate("document.body.dataset.ready") == "1" and seconds < 2,
          f"opens offline and draws its timeline in {seconds:.2f} s")
    check(all(u.startswith("file://") for u in page.requests()), f"asked for nothing else: {page.requests()}")
    looks_right(page, html, charts=False)
    for words in (["POP metrics", "load balance", "0.750"], ["two threads shared a core", "core 1"]):
        check(all(w in page.evaluate("document.body.innerText") for w in words), f"the page shows {words}")

    tip = pictures.hover(page, 1, 0, 0.35)
    check(all(w in tip for w in ["lock_wait", "item 5", "100 ms", "core 2", "rank 1 thread 0"]),
          f"hovering rank 1 thread 0 at 0.35 s shows the lock wait: {tip!r}")
    span = lambda: page.evaluate("(() => { const c = document.getElementById('lanes'); return [+c.dataset.from, +c.dataset.to]; })()")  # noqa: E731
    ticks = lambda: page.evaluate("Array.from(document.querySelectorAll('#time-axis .tick text')).map(e => e.textContent)")  # noqa: E731
    before, ticks_before = span(), ticks()
    box = pictures.lanes_box(page)
    x = box[0] + 0.35 * box[2]
    for _ in range(5):
        page.mouse("mouseWheel", x, box[1] + 5, deltaX=0, deltaY=-400)
    zoomed = span()
    check(zoomed[1] - zoomed[0] < (before[1] - before[0]) / 10 and zoomed[0] < 0.35e9 < zoomed[1],
          f"the wheel zooms in around the mouse: {before} -> {zoomed}")
    check(ticks() != ticks_before and len(ticks()) >= 2, f"the time axis follows the zoom: {ticks()[:4]}")
    found = pictures.problems(page.evaluate(pictures.CHECKS), "zoomed report", False)
    check(not found, f"zoomed: no overlapping text {found}")
    tip = pictures.hover(page, 1, 0, 0.35)
    check("lock_wait" in tip and "item 5" in tip, f"hovering after zooming: {tip!r}")
    page.mouse("mousePressed", x, box[1] + 5, button="left", clickCount=1)
    page.mouse("mouseMoved", x - 200, box[1] + 5, button="left")
    page.mouse("mouseReleased", x - 200, box[1] + 5, button="left", clickCount=1)
    dragged = span()
    check(dragged[0] > zoomed[0] and abs((dragged[1] - dragged[0]) - (zoomed[1] - zoomed[0])) < 1,
          f"dragging moves the window later: {zoomed} -> {dragged}")
    # Sorting the thread table by items: 1 item (rank 1 thread 1) first, then descending.
    page.evaluate("document.querySelectorAll('#threads th')[3].click()")
    first = page.evaluate("document.querySelector('#threads tbody tr').cells[3].textContent")
    page.evaluate("document.querySelectorAll('#threads th')[3].click()")
    then = page.evaluate("document.querySelector('#threads tbody tr').cells[3].textContent")
    check((first, then) == ("1", "2"), f"the thread table sorts by a clicked column: {first}, then {then}")

    before = open(html, "rb").read()
    p = run("report", known, "--html", expect=2)
    check(open(html, "rb").read() == before and p.stderr.count("\n") == 1 and "known.html" in p.stderr,
          f"an existing page is not replaced: {p.stderr.strip()}")
    run("report", known, "--html", "--force")
    p = run("report", known, "-o", os.path.join(work, "x.html"), expect=2)
    check("--html" in p.stderr and p.stderr.count("\n") == 1, f"-o without --html: {p.stderr.strip()}")


def big_report(page, work):
    """Beyond the page's budget the timeline is kept per zoom level: bounded size, hover still works."""
    n = 100_000
    lanes = {}
    for lane in range(4):
        step = 1000 * MS // n
        lanes[(lane // 2, lane % 2)] = [("work" if i % 2 else "idle", i * step, (i + 1) * step, lane, i if i % 2 else -1)
                                        for i in range(n)]
    big = os.path.join(work, "big.h5")
    make_timeline.write(big, lanes, 1000 * MS)
    html = os.path.join(work, "big.html")
    run("report", big, "--html")
    size = os.path.getsize(html)
    check(size < 5_000_000, f"400k intervals: the page has {size} bytes (at most 5 MB)")
    seconds = page.open("file://" + html)
    check(page.evaluate("document.body.dataset.ready") == "1" and seconds < 2, f"opens in {seconds:.2f} s")
    tip = pictures.hover(page, 0, 1, 0.5)
    check(("work" in tip or "idle" in tip) and "zoom in" in tip, f"a pixel of many intervals names one: {tip!r}")


def study(page, work):
    folder = os.path.join(work, "study")
    run("study", "gil", "--max-workers", "2", "--scale", "0.1", "-o", folder, "--launcher", MPIEXEC)
    looks_right(page, os.path.join(folder, "compare.svg"))
    index = os.path.join(folder, "index.html")
    looks_right(page, index)
    text = open(index).read()
    check(pictures.external_references(text) == [], f"index.html: no external reference {pictures.external_references(text)[:3]}")
    links = page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
    missing = [h for h in links if not os.path.exists(os.path.join(folder, h))]
    check(len(links) == 6 * 4 and not missing, f"index.html links to each run's report, plot, timeline and log: "
          f"{len(links)} links, missing {missing}")
    run_page = os.path.join(folder, "gil-1x2.html")
    looks_right(page, run_page, charts=False)
    tip = pictures.hover(page, 0, 1, 0.05)
    check("rank 0 thread 1" in tip, f"a study run's page names the interval under the mouse: {tip!r}")
    check(all(u.startswith("file://") for u in page.requests()), "the pages asked for nothing else")


def advise(page, work):
    deck = os.path.join(work, "spin.toml")
    with open(deck, "w") as f:
        f.write('items = 40\n[workload]\nkind = "spin"\nseconds = 0.002\n')
    folder = os.path.join(work, "advise")
    # A budget that leaves each trial far more than it needs: they end on their own, in seconds.
    run("advise", deck, "--workers", "2", "--budget", "40", "-o", folder, "--launcher", MPIEXEC)
    index = os.path.join(folder, "index.html")
    looks_right(page, index)
    links = page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
    missing = [h for h in links if not os.path.exists(os.path.join(folder, h))]
    check({"1x2.log", "2x1.log"} <= set(links) and not missing,
          f"advise's index.html links to each trial's files: {links}, missing {missing}")
    check("recommended" in page.evaluate("document.body.innerText"), "advise's index.html says what it recommends")


def part(name, body, *args):
    """Runs one part of the test; a part that breaks (a page without the expected elements) is one
    failure, and the other parts still run."""
    try:
        body(*args)
    except Exception as e:  # noqa: BLE001 - reported as a failure of that part
        check(False, f"{name}: {type(e).__name__}: {str(e)[:300]}")


with tempfile.TemporaryDirectory() as work, Chromium(width=1400, height=900) as page:
    known = os.path.join(work, "known.h5")
    make_timeline.write(known, LANES, 1000 * MS)
    part("plot", plots, page, work, known)
    part("compare", compares, page, work)
    part("report --html", html_report, page, work, known)
    part("a large report --html", big_report, page, work)
    part("study", study, page, work)
    part("advise", advise, page, work)

checking.finish()
