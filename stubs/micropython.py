"""MicroPython's `micropython` module on CPython (the MicroPython VM has its own).

What the host does differently: const() is a plain value; native and viper leave
the function as it is; there is no MicroPython heap, so heap_lock() only counts
depth (allocation still works) and mem_info() says so; schedule() runs the
function at once in the caller's thread (after the one running, if called from a
scheduled function), not "between opcodes"."""

_opt_level = 0
_heap_depth = 0
_running = False
_pending = []


def const(expr):
    return expr


def native(func):
    return func


def viper(func):
    return func


def alloc_emergency_exception_buf(size):
    pass


def mem_info(verbose=None):
    print("mem: CPython host, no MicroPython heap to report")


def opt_level(level=None):
    global _opt_level
    if level is None:
        return _opt_level
    _opt_level = level


def heap_lock():
    global _heap_depth
    _heap_depth += 1


def heap_unlock():
    """-> the lock depth after unlocking, as on the board."""
    global _heap_depth
    _heap_depth = max(0, _heap_depth - 1)
    return _heap_depth


def kbd_intr(chr):
    """Ctrl-C on the host is always SIGINT: the character is accepted and ignored."""


def schedule(func, arg):
    global _running
    _pending.append((func, arg))
    if _running:
        return  # called from a scheduled function: runs after it, never inside it
    _running = True
    try:
        while _pending:
            f, a = _pending.pop(0)
            f(a)
    finally:
        _running = False
