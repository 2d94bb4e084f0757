"""respond(): TwiML that is always well-formed, through every kind of response object."""

import socket
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import microdot
import pytest
import requests
from devicevm import result, run
from utwilio.reply import twiml

DECL = '<?xml version="1.0" encoding="UTF-8"?>'
NASTY = "a & b < c > d \"e\" 'f'\n🌡️ 36.2°C\tcafé\x00\x07\x1b\x0b end"


def message_of(xml):
    root = ET.fromstring(xml.encode())
    assert root.tag == "Response"
    return [m.text for m in root]


def test_respond_through_every_kind_of_response(runtime):
    out = result(runtime, "respond.py", {"messages": {"plain": "hi", "nasty": NASTY,
                                                      "none": None, "empty": ""}})
    expected_nasty = "a & b < c > d \"e\" 'f'\n🌡️ 36.2°C\tcafé end"
    for key, text in (("plain", ["hi"]), ("nasty", [expected_nasty]), ("none", []),
                      ("empty", [])):
        got = out[key]
        status, headers, body = got["tuple"]
        assert status == 200 and headers == {"Content-Type": "text/xml"}
        assert body.startswith(DECL) and message_of(body) == text
        assert got["imp"] == [[["Content-Type", "text/xml"]], [200, body]]
        head, _, payload = got["stream"].partition("\r\n\r\n")
        assert head.split("\r\n")[0] == "HTTP/1.0 200 OK" and "Content-Type: text/xml" in head
        assert payload == body
        assert "Content-Length: %d" % len(body.encode()) in head
    assert out["none"]["tuple"][2] == DECL + "<Response />"
    assert out["nasty"]["tuple"][2] == (
        DECL + "<Response><Message>a &amp; b &lt; c &gt; d \"e\" 'f'\n"
        "🌡️ 36.2°C\tcafé end</Message></Response>")


@pytest.mark.parametrize("text", ["", "x" * 1600, "\ud800 lone surrogate", "\ufffe\uffff ok",
                                  "]]> <![CDATA[ x", "&amp; already escaped"])
def test_twiml_is_always_well_formed(text):
    body = twiml(text)
    assert message_of(body) in ([], [text.replace("\ud800", "").replace("\ufffe", "")
                                       .replace("\uffff", "")])


def test_a_carriage_return_survives_an_xml_parser():
    body = twiml("line 1\r\nline 2\rend")
    assert "&#13;" in body and "\r" not in body
    assert message_of(body) == ["line 1\r\nline 2\rend"]


def test_twiml_rejects_non_text():
    with pytest.raises(TypeError, match="message must be a str, got int"):
        twiml(5)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_respond_fills_a_microdot_response_on_a_real_server(runtime):
    """A real microdot app (on the MicroPython VM too) answers a webhook POST."""
    import subprocess

    from devicevm import command, environment

    port = free_port()
    microdot_dir = Path(microdot.__file__).resolve().parent.parent
    args = Path(__import__("tempfile").mkdtemp()) / "args.json"
    args.write_text('{"port": %d}' % port)
    proc = subprocess.Popen(command(runtime, Path(__file__).parent / "device" / "microdot_sms.py")
                            + [str(args)], env=environment(runtime, [microdot_dir]),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = requests.post("http://127.0.0.1:%d/sms" % port,
                                  data={"Body": "fan <on> & go", "From": "+15551234567"},
                                  timeout=5)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
                time.sleep(0.05)
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "text/xml"
        assert message_of(r.text) == ["You said: fan <on> & go"]
        requests.post("http://127.0.0.1:%d/shutdown" % port, timeout=5)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_respond_rejects_an_unknown_response_object():
    from utwilio.reply import respond

    with pytest.raises(TypeError, match="respond\\(\\) needs None"):
        respond(42, "hi")


def test_run_helper_reports_crash(runtime):
    proc = run(runtime, "respond.py", {"messages": {"bad": 5}})
    assert proc.returncode != 0 and "TypeError" in proc.stdout + proc.stderr
