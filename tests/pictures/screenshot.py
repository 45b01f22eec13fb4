#!/usr/bin/python3
"""A PNG of an HTML report as headless Chromium shows it, with the mouse over one interval (the
README's docs/report.png).

Usage: screenshot.py PAGE.html OUT.png RANK THREAD SECONDS
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pictures  # noqa: E402
from chromium import Chromium  # noqa: E402

page_path, out, rank, thread, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
with Chromium(width=1200, height=1000) as page:
    page.open("file://" + os.path.abspath(page_path))
    print(pictures.hover(page, rank, thread, seconds))
    page.screenshot(out)
