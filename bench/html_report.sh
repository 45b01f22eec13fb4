#!/usr/bin/env bash
# report --html on a 10 M-interval timeline: the time to write the page, its size (target <= 5 MB),
# and how long headless Chromium takes to open it until the timeline is drawn (target < 2 s), then
# one zoom and one hover. Usage: bench/html_report.sh BUILD_DIR [RANKS THREADS]
# The timeline is made as bench/postprocess.sh makes it: 10 M fib(1) items in chunks of 1000, by
# RANKS x THREADS (default 2 x 1; more threads: more lanes for the same intervals).
set -euo pipefail
exe=$(cd "$1" && pwd)/bin/hybridscope
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
big=$work/big.h5
OMP_NUM_THREADS=${3:-1} mpiexec -np "${2:-2}" --oversubscribe --bind-to none "$exe" run --set workload.n=1 \
  --set items=10000000 --set chunk=1000 -o "$big" | grep '^layout\|^timeline' | sed "s|$work/||"
/usr/bin/time -f "%e %M" -o "$work/time" "$exe" report "$big" --html -o "$work/big.html" >/dev/null
read -r seconds kb <"$work/time"
echo "hybridscope report --html: $seconds s, $((kb / 1000)) MB peak; page $(stat -c %s "$work/big.html") bytes"
/usr/bin/python3 - "$work/big.html" "$here/../tests/pictures" <<'PY'
import sys, time
sys.path.insert(0, sys.argv[2])
from chromium import Chromium
import pictures
with Chromium(width=1400, height=900) as page:
    for attempt in range(3):  # the first opening also starts Chromium's renderer
        page.open("about:blank")
        start = time.monotonic()
        page.open("file://" + sys.argv[1])
        while page.evaluate("document.body.dataset.ready") != "1":
            time.sleep(0.01)
        print(f"chromium: opened and drawn in {time.monotonic() - start:.2f} s")
    box = pictures.lanes_box(page)
    start = time.monotonic()
    page.mouse("mouseWheel", box[0] + box[2] / 2, box[1] + 5, deltaX=0, deltaY=-600)
    window = page.evaluate("[+document.getElementById('lanes').dataset.from, +document.getElementById('lanes').dataset.to]")
    print(f"chromium: one wheel zoom redrawn in {time.monotonic() - start:.3f} s, to {window[0] * 1e-9:.4f}-{window[1] * 1e-9:.4f} s")
    page.mouse("mouseMoved", box[0] + box[2] / 2, box[1] + 5)
    print("hover:", page.evaluate("document.getElementById('tip').textContent").replace("\n", " | "))
    print("detail:", page.evaluate("document.getElementById('detail').textContent"))
PY
