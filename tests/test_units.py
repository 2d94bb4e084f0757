"""Fast logic tests on CPython: form encoding, URL parsing, error mapping, and send()
through `requests` with `responses` (the same logic the socket transport feeds)."""

import errno
import socket
from urllib.parse import quote_plus, urlencode

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st
from utwilio import Twilio, TwilioError, form, wire
from utwilio.errors import TransportError
from utwilio.requests_transport import RequestsTransport

SID = "AC" + "1" * 32
URL = "https://api.twilio.com/2010-04-01/Accounts/%s/Messages.json" % SID


@given(st.lists(st.tuples(st.text(), st.text()), max_size=5))
def test_form_encoding_is_quote_plus(pairs):
    assert bytes(form.encode(pairs)) == urlencode(pairs, quote_via=quote_plus).encode()


@pytest.mark.parametrize("url,expected", [
    ("https://api.twilio.com/x?y=1", (True, "api.twilio.com", 443, "/x?y=1")),
    ("http://127.0.0.1:8010", (False, "127.0.0.1", 8010, "/")),
    ("https://h:8443/", (True, "h", 8443, "/")),
])
def test_split_url(url, expected):
    assert wire.split_url(url) == expected


def test_request_head_has_byte_length_and_host_port():
    head = wire.head("POST", "h", 8443, True, "/p", wire.fields({"A": "b"}), len("é".encode()))
    assert head == (b"POST /p HTTP/1.1\r\nHost: h:8443\r\nConnection: close\r\n"
                    b"User-Agent: utwilio/0.1\r\nA: b\r\nContent-Length: 2\r\n\r\n")


@pytest.mark.parametrize("phase,exc,code", [
    ("resolve", socket.gaierror(-2, "Name or service not known"), 6),
    ("connect", OSError(errno.ECONNREFUSED, "refused"), 7),
    ("connect", OSError(errno.ETIMEDOUT), 28),
    ("receive", TimeoutError("timed out"), 28),
    ("tls", OSError(-9984, "MBEDTLS_ERR_X509_CERT_VERIFY_FAILED"), 60),
    ("tls", OSError(-29312, "MBEDTLS_ERR_SSL_CONN_EOF"), 35),
    ("send", OSError(errno.EPIPE), 55),
    ("send", OSError(errno.ECONNREFUSED), 7),
    ("receive", OSError(errno.ECONNRESET), 56),
    ("receive", MemoryError(), 27),
])
def test_os_errors_map_to_libcurl_codes(phase, exc, code):
    assert wire.fail(phase, exc, "h:1").code == code


def client(**kw):
    return Twilio(SID, "tok", "+15550000001", transport=RequestsTransport(), **kw)


@responses.activate
def test_send_through_requests_parses_success():
    responses.post(URL, status=201, json={"sid": "SM" + "2" * 32, "status": "queued"})
    r = client().send("+15551234567", "hi & bye")
    assert (r["statuscode"], r["sid"], r["status"]) == (201, "SM" + "2" * 32, "queued")
    assert responses.calls[0].request.body == (
        b"To=%2B15551234567&From=%2B15550000001&Body=hi+%26+bye")


@responses.activate
def test_send_through_requests_returns_twilio_error():
    error = {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
             "more_info": "m", "status": 400}
    responses.post(URL, status=400, json=error)
    r = client().send("+15551234567", "x")
    assert (r["statuscode"], r["code"], r["more_info"], r["sid"]) == (400, 21610, "m", None)
    with pytest.raises(TwilioError) as e:
        client(raise_errors=True).send("+15551234567", "x")
    assert (e.value.status, e.value.code) == (400, 21610)
    assert "Twilio error 21610" in str(e.value)


@responses.activate
def test_non_json_error_body_is_kept_verbatim():
    responses.post(URL, status=502, body="<html>Bad Gateway</html>")
    r = client().send("+15551234567", "x")
    assert (r["statuscode"], r["code"], r["data"]) == (502, None, None)
    assert r["body"] == r["message"] == "<html>Bad Gateway</html>"


def test_transport_error_becomes_result():
    class Down:
        def request(self, *a):
            raise TransportError(7, "could not connect to h:1")

    r = Twilio(SID, "t", "+15550000001", transport=Down()).send("+15551234567", "x")
    assert (r["statuscode"], r["body"], r["message"]) == (7, "could not connect to h:1",
                                                          "could not connect to h:1")


def test_repr_never_shows_the_token():
    t = client()
    assert "tok" not in repr(t) and SID in repr(t)


def test_send_path_imports_nothing_else():
    """An alert-only device pays for send() alone (checked on the VM in test_heap)."""
    import subprocess
    import sys

    code = ("import sys, utwilio; utwilio.Twilio(%r, 't', '+15550000001', "
            "base_url='http://127.0.0.1:9'); print(sorted(m for m in sys.modules "
            "if m.startswith('utwilio')))" % SID)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": "device:stubs"}).stdout
    assert eval(out) == ["utwilio", "utwilio.errors", "utwilio.form", "utwilio.http",
                         "utwilio.twilio", "utwilio.validate", "utwilio.wire"]
