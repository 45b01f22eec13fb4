"""What the picture tests check in a page that Chromium has rendered, as a reader would see it."""
import os
import re

CHECKS = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "checks.js")).read()
# Anything that would make a page reach beyond its own file: absolute URLs, protocol-relative ones,
# CSS imports and url(), and src attributes (a self-contained page has no resources of its own).
EXTERNAL = re.compile(r"(https?:|ftp:|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(|\bsrc\s*=)", re.I)
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def external_references(text):
    """The external references in a page's source, without the SVG namespace (a name, not a URL)."""
    return [m.group(0) for m in EXTERNAL.finditer(text.replace(SVG_NAMESPACE, ""))]


def problems(measured, name, charts_expected=True):
    """Everything a reader would trip over in a page measured by checks.js, as messages."""
    out = []
    if measured["overlaps"]:
        out.append(f"{name}: {len(measured['overlaps'])} overlapping text pairs, e.g. {measured['overlaps'][:3]}")
    if measured["outside"]:
        out.append(f"{name}: text beyond the picture's edge: {measured['outside'][:3]}")
    if charts_expected and not measured["charts"]:
        out.append(f"{name}: no chart")
    for c in measured["charts"]:
        if c["ticks"] < 2:
            out.append(f"{name}: chart {c['name']} has {c['ticks']} ticks")
        if not c["legend"] or c["legend"] != c["series"]:
            out.append(f"{name}: chart {c['name']}: legend {c['legend']} against series {c['series']}")
        if c["titles"] < 1:
            out.append(f"{name}: chart {c['name']} has no axis title")
    return out


def hover(page, rank, thread, seconds):
    """Moves the mouse over a lane at a time; returns the tooltip's text."""
    where = page.evaluate(f"""(() => {{
        const c = document.getElementById('lanes');
        c.scrollIntoView({{block: 'center'}});  // the mouse reaches only what the window shows
        const box = c.getBoundingClientRect();
        const lane = JSON.parse(document.getElementById('timeline-data').textContent).lanes
            .findIndex(l => l.rank === {rank} && l.thread === {thread});
        const from = +c.dataset.from, to = +c.dataset.to;
        return [box.left + ({seconds} * 1e9 - from) / (to - from) * box.width, box.top + (lane + 0.5) * +c.dataset.laneHeight];
    }})()""")
    page.mouse("mouseMoved", where[0], where[1])
    return page.evaluate("document.getElementById('tip').hidden ? '' : document.getElementById('tip').textContent")


def lanes_box(page):
    """The timeline canvas's [left, top, width] in the page."""
    return page.evaluate("(() => { const c = document.getElementById('lanes'); c.scrollIntoView({block: 'center'}); "
                         "const b = c.getBoundingClientRect(); return [b.left, b.top, b.width]; })()")
