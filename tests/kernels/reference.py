#!/usr/bin/python3
"""Serial reference checksums, computed without hybridscope's driver.

reference.py plugin LIBRARY ARGS ITEMS        calls the plug-in through ctypes, item by item
reference.py python FILE FUNCTION ITEMS       calls the Python function item by item

Prints the run checksum as `hybridscope run` does (16 hex digits): the wrapping sum over items of
item_checksum(item, value) = mix64(mix64(item) ^ value), with Python values folded as
docs/kernels.md says (int: two's complement 64 bits, float: IEEE bits, str/bytes: FNV-1a, None: 0).
"""
import ctypes
import importlib.util
import os
import struct
import sys

M = (1 << 64) - 1


def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M
    return x ^ (x >> 31)


def item_checksum(item, value):
    return mix64(mix64(item) ^ value)


def fnv1a(data, tag):
    h = 0xCBF29CE484222325 ^ tag
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & M
    return h


def fold(v):
    if v is None:
        return 0
    if isinstance(v, int):
        if -(1 << 63) <= v < (1 << 64):
            return v & M
        return fnv1a(str(v).encode(), 3)
    if isinstance(v, float):
        return struct.unpack("<Q", struct.pack("<d", v))[0]
    if isinstance(v, str):
        return fnv1a(v.encode(), 1)
    if isinstance(v, (bytes, bytearray)):
        return fnv1a(bytes(v), 2)
    raise TypeError(type(v))


class Context(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_int), ("rank", ctypes.c_int), ("ranks", ctypes.c_int),
                ("thread", ctypes.c_int), ("threads", ctypes.c_int), ("args", ctypes.c_char_p),
                ("stopped", ctypes.c_void_p), ("fail", ctypes.c_void_p), ("driver", ctypes.c_void_p),
                ("rank_state", ctypes.c_void_p)]


def plugin_values(library, args, items):
    lib = ctypes.CDLL(library)
    stopped_type = ctypes.CFUNCTYPE(ctypes.c_int)
    fail_type = ctypes.CFUNCTYPE(None, ctypes.POINTER(Context), ctypes.c_char_p)
    stopped = stopped_type(lambda: 0)

    def on_fail(context, message):
        raise SystemExit("reference: the kernel failed: %s" % message.decode())

    fail = fail_type(on_fail)
    context = Context(1, 0, 1, -1, -1, args.encode(), ctypes.cast(stopped, ctypes.c_void_p),
                      ctypes.cast(fail, ctypes.c_void_p), None, None)
    if hasattr(lib, "hybridscope_kernel_rank_setup"):
        rank_state = ctypes.c_void_p()
        if lib.hybridscope_kernel_rank_setup(ctypes.byref(context), ctypes.byref(rank_state)) != 0:
            raise SystemExit("reference: rank setup failed")
        context.rank_state = rank_state
    context.thread, context.threads = 0, 1
    state = ctypes.c_void_p()
    if lib.hybridscope_kernel_setup(ctypes.byref(context), ctypes.byref(state)) != 0:
        raise SystemExit("reference: setup failed")
    lib.hybridscope_kernel_item.restype = ctypes.c_uint64
    lib.hybridscope_kernel_item.argtypes = [ctypes.c_void_p, ctypes.c_int64]
    for item in range(items):
        yield lib.hybridscope_kernel_item(state, item)


def python_values(path, function, items):
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = getattr(module, function)
    for item in range(items):
        yield fold(fn(item))


def main():
    kind, a, b, items = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    values = plugin_values(a, b, items) if kind == "plugin" else python_values(a, b, items)
    total = 0
    for item, value in enumerate(values):
        total = (total + item_checksum(item, value)) & M
    print("%016x" % total)


if __name__ == "__main__":
    main()
