"""HTTP/1.1 keep-alive in utwilio.http.Transport, on both runtimes over real sockets
and TLS: a burst shares one connection; a connection the server ends is replaced; a
POST that may have reached the server is never repeated."""

import ssl

import pytest
from devicevm import result
from httpserver import ScriptedServer


@pytest.fixture
def ca_der(ca, tmp_path):
    path = tmp_path / "ca.der"
    path.write_bytes(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
    return str(path)


@pytest.fixture
def kept():
    with ScriptedServer(keep_alive=True) as s:
        yield s


@pytest.fixture
def kept_tls(ca):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(ctx)
    with ScriptedServer(ssl_context=ctx, keep_alive=True) as s:
        yield s


def steps(runtime, server, methods, host="127.0.0.1", **args):
    return result(runtime, "keepalive.py", dict(args, base_url=server.url(host), steps=[
        m if isinstance(m, dict) else {"method": m} for m in methods]))


@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
def test_a_burst_shares_one_connection_closed_at_the_end(runtime, kept, kept_tls, ca_der,
                                                         secure):
    server = kept_tls if secure else kept
    out = steps(runtime, server, ["POST"] * 5, "localhost" if secure else "127.0.0.1",
                ca=ca_der if secure else None)
    assert [s["status"] for s in out["steps"]] == [201] * 5
    assert [s["opened"] for s in out["steps"]] == [1] * 5
    assert out["kept_inside"] is True and out["kept_after"] is False
    assert server.connections == 1 and [r["conn"] for r in server.requests] == [1] * 5
    assert "connection" not in server.requests[0]["headers"]


def test_without_keep_alive_each_request_has_its_own_connection(runtime, kept):
    out = steps(runtime, kept, ["POST"] * 3, keep_alive=False)
    assert [s["opened"] for s in out["steps"]] == [1, 2, 3]
    assert kept.requests[0]["headers"]["connection"] == "close" and kept.connections == 3


def test_connection_close_from_the_server_ends_reuse(runtime, kept):
    kept.script = ["ok", "ok-close", "ok"]
    out = steps(runtime, kept, ["POST"] * 3)
    assert [s["status"] for s in out["steps"]] == [201] * 3
    assert [s["opened"] for s in out["steps"]] == [1, 1, 2]
    assert [r["conn"] for r in kept.requests] == [1, 1, 2]


def test_a_connection_closed_while_idle_is_replaced_before_the_request(runtime, kept):
    kept.script = ["ok-then-close", "ok"]
    out = steps(runtime, kept, ["POST", {"method": "POST", "sleep": 0.3}])
    assert [s["status"] for s in out["steps"]] == [201, 201]
    assert [s["opened"] for s in out["steps"]] == [1, 2]
    assert len(kept.requests) == 2  # sent once each


def test_a_post_that_may_have_arrived_is_not_repeated(runtime, kept):
    """The server read the second POST and closed without a byte of answer."""
    kept.script = ["ok", "empty", "ok"]
    out = steps(runtime, kept, ["POST"] * 3)
    assert out["steps"][1] == {"error": 52, "sent": True, "opened": 1, "kept": False}
    assert out["steps"][2]["status"] == 201 and out["steps"][2]["opened"] == 2
    assert len(kept.requests) == 3


def test_a_get_on_a_broken_reused_connection_goes_again_on_a_fresh_one(runtime, kept):
    kept.script = ["ok", "empty", "ok"]
    out = steps(runtime, kept, ["GET", "GET"])
    assert [s["status"] for s in out["steps"]] == [201, 201]
    assert [s["opened"] for s in out["steps"]] == [1, 2]
    assert [r["conn"] for r in kept.requests] == [1, 1, 2]


def test_an_error_closes_the_connection(runtime, kept):
    kept.script = ["ok", "garbage", "ok"]
    out = steps(runtime, kept, ["POST"] * 3)
    assert out["steps"][1]["error"] == 8 and out["steps"][1]["kept"] is False
    assert out["steps"][2] == {"status": 201, "opened": 2, "kept": True}


def test_twilio_keep_alive_sends_a_burst_over_one_tls_connection(runtime, kept_tls, ca_der):
    out = result(runtime, "send.py", {"base_url": kept_tls.url("localhost"), "ca": ca_der,
                                      "keep_alive": True,
                                      "sends": [{"to": "+15551234567", "message": "hi"}] * 4})
    assert [r["statuscode"] for r in out] == [201] * 4
    assert kept_tls.connections == 1 and len(kept_tls.requests) == 4
