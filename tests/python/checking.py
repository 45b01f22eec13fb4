"""What the Python end-to-end tests share: checks that print ok/FAIL and are counted at the end, and
running the executable with an expected exit code."""
import subprocess
import sys

failures = []


def check(condition, message):
    print(("ok: " if condition else "FAIL: ") + message, flush=True)
    if not condition:
        failures.append(message)


def run(exe, *args, expect=0, timeout=300):
    """Runs `exe args` and checks its exit code; returns the completed process (text output)."""
    p = subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout)
    check(p.returncode == expect, f"{' '.join(args)}: exit {p.returncode}, expected {expect}"
          + ("" if p.returncode == expect else f": {p.stderr.strip()}"))
    return p


def finish():
    print(f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)
