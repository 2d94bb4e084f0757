"""send() on both runtimes against a real local server: what reaches the wire, what
comes back, and every way the transport can fail."""

import base64
import socket
import ssl
from urllib.parse import parse_qsl

import pytest
from devicevm import result

SID = "AC" + "0" * 32
UNICODE = "Grüße, café! 😀🌡️ 36.2°C & a+b=c 100% <ok> \"q\" 'a' ñ 中文"


def send(runtime, base_url, sends, **args):
    return result(runtime, "send.py", dict(args, base_url=base_url, sends=sends))


@pytest.mark.parametrize("mode", ["sync", "async", "callback"])
def test_message_reaches_twilio_byte_exact(runtime, server, mode):
    r = send(runtime, server.url(), [{"to": "+15551234567", "message": UNICODE}], mode=mode)[0]
    assert r["statuscode"] == 201 and r["sid"] == "SM" + "a" * 32 and r["status"] == "queued"
    [req] = server.requests
    assert req["method"] == "POST"
    assert req["path"] == "/2010-04-01/Accounts/%s/Messages.json" % SID
    assert req["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert req["headers"]["authorization"] == "Basic " + base64.b64encode(
        (SID + ":secret").encode()).decode()
    assert int(req["headers"]["content-length"]) == len(req["body"])
    assert parse_qsl(req["body"].decode(), keep_blank_values=True, strict_parsing=True) == [
        ("To", "+15551234567"), ("From", "+15550000001"), ("Body", UNICODE)]
    # Byte-exact with Python's own quote_plus encoding of the same fields.
    from urllib.parse import urlencode

    assert req["body"] == urlencode(
        [("To", "+15551234567"), ("From", "+15550000001"), ("Body", UNICODE)]).encode()


def test_callback_runs_as_a_task_under_a_loop(runtime, server):
    out = send(runtime, server.url(), [{"to": "+15551234567", "message": "hi"}], mode="callback")
    assert out[0]["statuscode"] == 201
    assert out[1] == {"task": "Task", "pending_at_return": True}


def test_callback_without_a_loop_sends_now_and_returns_none(runtime, server):
    out = send(runtime, server.url(), [{"to": "+15551234567", "message": "hi"}],
               mode="nocallbackloop")
    assert out[0]["statuscode"] == 201
    assert out[1] == {"returned": "None", "called": 1}


def test_mms_media_urls_repeat_and_status_callback(runtime, server):
    send(runtime, server.url(), [{"to": "+15551234567", "message": "",
                                  "media_url": ["https://x.test/a.jpg", "https://x.test/b.png"],
                                  "status_callback": "https://cb.test/status?x=1&y=2"}])
    assert server.requests[0]["form"] == [
        ("To", "+15551234567"), ("From", "+15550000001"), ("MediaUrl", "https://x.test/a.jpg"),
        ("MediaUrl", "https://x.test/b.png"), ("StatusCallback", "https://cb.test/status?x=1&y=2")]


def test_api_key_auth_keeps_account_sid_in_path(runtime, server):
    key = "SK" + "b" * 32
    send(runtime, server.url(), [{"to": "+15551234567", "message": "hi"}], api_key=key,
         token="keysecret")
    req = server.requests[0]
    assert req["path"].startswith("/2010-04-01/Accounts/%s/" % SID)
    assert base64.b64decode(req["headers"]["authorization"][6:]) == (key + ":keysecret").encode()


def test_twilio_error_is_returned_not_raised(runtime, server):
    server.script = ["error", "500"]
    r1, r2 = send(runtime, server.url(), [{"to": "+15551234567", "message": "x"}] * 2)
    assert (r1["statuscode"], r1["code"], r1["sid"]) == (400, 21211, None)
    assert "not a valid phone number" in r1["message"]
    assert (r2["statuscode"], r2["code"]) == (500, 20500)


def test_raise_errors_raises_twilio_error(runtime, server):
    server.script = ["error", "garbage", "ok"]
    out = send(runtime, server.url(), [{"to": "+15551234567", "message": "x"}] * 3,
               raise_errors=True)
    assert out[0]["status"] == 400 and out[0]["code"] == 21211
    assert "21211" in out[0]["raised"]
    assert out[1]["status"] == 8 and out[1]["code"] is None
    assert out[1]["raised"].startswith("no answer (transport error 8): ")  # not "HTTP 8"
    assert out[2]["statuscode"] == 201


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_transport_failures_are_results_below_100(runtime, server, mode):
    server.script = ["garbage", "reset", "empty", "short", "huge", "chunked"]
    out = send(runtime, server.url(), [{"to": "+15551234567", "message": "x"}] * 6, mode=mode)
    codes = [r["statuscode"] for r in out]
    assert codes[:5] == [8, 56, 52, 18, 63]
    assert out[5]["statuscode"] == 201 and out[5]["sid"] == "SM" + "a" * 32  # chunked decoded
    for r in out[:5]:
        assert r["sid"] is None and r["message"] == r["body"] and r["body"]
        # The request went out whole before each failure: Twilio may have acted on it.
        assert r["maybe_sent"] is True
    assert out[5]["maybe_sent"] is False


def test_connection_refused_and_timeout(runtime, server):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed_port = s.getsockname()[1]
    s.close()
    [refused] = send(runtime, "http://127.0.0.1:%d" % closed_port,
                     [{"to": "+15551234567", "message": "x"}])
    assert refused["statuscode"] == 7 and "127.0.0.1:%d" % closed_port in refused["body"]
    assert refused["maybe_sent"] is False  # nothing left the device: safe to send again
    server.script = ["hang"]
    [slow] = send(runtime, server.url(), [{"to": "+15551234567", "message": "x"}], timeout=1)
    assert slow["statuscode"] == 28


@pytest.fixture
def ca_der(ca, tmp_path):
    path = tmp_path / "ca.der"
    path.write_bytes(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
    return str(path)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_tls_verified_against_our_ca(runtime, tls_server, ca_der, mode):
    [r] = send(runtime, tls_server.url("localhost"), [{"to": "+15551234567", "message": "hi"}],
               ca=ca_der, mode=mode)
    assert r["statuscode"] == 201 and len(tls_server.requests) == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_tls_unknown_ca_is_refused(runtime, tls_server, tmp_path, mode):
    import trustme

    other = tmp_path / "other.der"
    other.write_bytes(ssl.PEM_cert_to_DER_cert(trustme.CA().cert_pem.bytes().decode()))
    [r] = send(runtime, tls_server.url("localhost"), [{"to": "+15551234567", "message": "hi"}],
               ca=str(other), mode=mode)
    assert r["statuscode"] == 60 and "not trusted" in r["body"]
    assert "\n" not in r["body"]  # MicroPython's multi-line TLS text, on one line
    assert tls_server.requests == []


def test_tls_wrong_host_is_refused(runtime, ca, ca_der):
    from httpserver import ScriptedServer

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("api.twilio.com").configure_cert(ctx)  # a certificate for another name
    with ScriptedServer(ssl_context=ctx) as s:
        [r] = send(runtime, s.url("localhost"), [{"to": "+15551234567", "message": "hi"}],
                   ca=ca_der)
        assert r["statuscode"] == 60 and s.requests == []


def test_tls_checks_off_only_when_asked_and_warns(runtime, tls_server):
    from devicevm import run

    proc = run(runtime, "send.py", {"base_url": tls_server.url("localhost"), "verify": False,
                                    "sends": [{"to": "+15551234567", "message": "hi"}]})
    assert '"statuscode": 201' in proc.stdout
    assert "WARNING: TLS certificate checks are OFF" in proc.stdout


def test_https_without_a_ca_trusts_only_the_bundled_roots(runtime, tls_server, tmp_path):
    """No cadata and no ca.der: Twilio's roots (utwilio.roots), which do not sign our
    local server, so the handshake is refused and nothing is sent."""
    [r] = send(runtime, tls_server.url("localhost"), [{"to": "+15551234567", "message": "hi"}])
    assert r["statuscode"] == 60 and "not trusted" in r["message"]
    assert tls_server.requests == []


def test_http_to_a_tls_port_says_use_https(runtime, server):
    server.script = ["tls alert"]
    [r] = send(runtime, server.url(), [{"to": "+15551234567", "message": "x"}])
    assert r["statuscode"] == 8 and "the server speaks TLS: use an https:// URL" in r["message"]


def test_wrong_credentials_name_the_settings_to_check(runtime, server):
    server.script = ["401"]
    [r] = send(runtime, server.url(), [{"to": "+15551234567", "message": "x"}])
    assert (r["statuscode"], r["code"]) == (401, 20003)
    assert r["message"].startswith("Authenticate: check account_sid and auth_token")
