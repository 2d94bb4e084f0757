"""Run at start-up when stubs/ is on PYTHONPATH: gives CPython's `time` MicroPython's
extras (ticks_ms, ticks_us, ticks_add, ticks_diff, sleep_ms, sleep_us), so device code
calling them runs unchanged on the host."""

import time

_PERIOD = 1 << 30  # MicroPython's ticks wrap at 2**30 (small-int range)


def _ticks_ms():
    return int(time.monotonic() * 1000) & (_PERIOD - 1)


def _ticks_us():
    return int(time.monotonic() * 1000000) & (_PERIOD - 1)


def _ticks_add(ticks, delta):
    return (ticks + delta) & (_PERIOD - 1)


def _ticks_diff(new, old):
    return ((new - old + _PERIOD // 2) & (_PERIOD - 1)) - _PERIOD // 2


for _name, _fn in (
    ("ticks_ms", _ticks_ms),
    ("ticks_us", _ticks_us),
    ("ticks_cpu", _ticks_us),
    ("ticks_add", _ticks_add),
    ("ticks_diff", _ticks_diff),
    ("sleep_ms", lambda ms: time.sleep(ms / 1000)),
    ("sleep_us", lambda us: time.sleep(us / 1000000)),
):
    if not hasattr(time, _name):
        setattr(time, _name, _fn)
