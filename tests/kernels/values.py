"""Python test functions (tests/kernels/test_kernels.sh)."""
import time


def work(item):
    """CPU-bound."""
    total = 0
    for k in range(20_000):
        total = (total + k * item) % 1_000_003
    return total


def sleeper(item):
    time.sleep(0.01)
    return item


def as_int(item):
    return item * 3


def as_big_int(item):
    return (item + 1) ** 40 - 2 ** 70


def as_negative(item):
    return -item - 1


def as_float(item):
    return item / 7.0


def as_str(item):
    return "item-%d-\u00e9" % item


def as_bytes(item):
    return b"x" * (item % 50)


def as_none(item):
    return None


def as_list(item):
    return [item]


def boom(item):
    if item == 5:
        raise ValueError("item five is cursed")
    return item


not_a_function = 3


def forever(item):
    """Never ends on its own: only the stop's asynchronous exception ends it."""
    import os
    open(os.environ["HYBRIDSCOPE_TEST_MARK"], "w").close()
    x = 0
    while True:
        x = (x + item) % 7
