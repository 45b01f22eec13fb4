"""Python functions for hybridscope (workload.kind = "python"), the seeds' experiment.

work(item): CPU-bound pure Python (holds the GIL): threads of one rank take turns, ranks scale.
sleepy(item): waits (releases the GIL): threads overlap, like I/O or a network call.
"""
import time


def work(item):
    """About 20 ms of pure-Python arithmetic on this machine class; returns an int."""
    total = 0
    for k in range(150_000):
        total = (total * 31 + k * item) % 1_000_003
    return total


def sleepy(item):
    """Waits 50 ms without the GIL; returns the item, like the built-in sleep kernel."""
    time.sleep(0.05)
    return item
