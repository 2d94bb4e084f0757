"""The official Node client (npm `twilio`) against the sandbox, unchanged.

tools/sandbox/node/check.js drives the client the way a Node app does (messages
and calls created, fetched, listed across pages, updated and removed; errors;
webhooks checked with twilio.validateRequest) and prints what it saw as JSON.
It runs once per module, over a real socket; each test asserts on one part.
tls-check.js does the same over HTTPS with the sandbox's CA.
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from utwilio_sandbox.server import SandboxServer
from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID

NODE_DIR = Path(__file__).resolve().parents[2] / "tools" / "sandbox" / "node"
SETUP_HINT = "run `bash tools/sandbox/setup-node.sh` (or `make system`)"
MESSAGES = "/2010-04-01/Accounts/%s/Messages.json" % DEFAULT_ACCOUNT_SID
PINNED = json.loads((NODE_DIR / "package.json").read_text())["dependencies"]["twilio"]


def node_command():
    """node, checked: missing Node.js or modules fail the test with what to do."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js 18+ is not installed; the Node client test needs it: " + SETUP_HINT)
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    if int(version.strip().lstrip("v").split(".")[0]) < 18:
        pytest.fail("Node.js %s is too old; twilio %s needs 18+" % (version.strip(), PINNED))
    if not (NODE_DIR / "node_modules" / "twilio" / "package.json").exists():
        pytest.fail("the npm `twilio` client is not installed: " + SETUP_HINT)
    return node


def run_node(*args):
    # Every request goes to 127.0.0.1, trusting only the CA a test passes.
    ignored = ("NODE_EXTRA_CA_CERTS", "TWILIO_CA_BUNDLE")
    env = {
        k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and k not in ignored
    }
    done = subprocess.run(
        [node_command(), *args], cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, "node %s failed:\n%s" % (" ".join(args), done.stderr)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def seen():
    """What check.js saw: a sandbox whose clock moves only when the script says so."""
    with SandboxServer(step_seconds=3600) as server:
        yield run_node("check.js", server.url)


def test_the_pinned_client_is_the_one_that_ran(seen):
    assert seen["versions"]["twilio"] == PINNED


def test_create_and_fetch_a_message_with_two_media(seen):
    created, fetched = seen["messages"]["created"], seen["messages"]["fetched"]
    assert created["sid"].startswith("SM") and created["status"] == "queued"
    assert created["accountSid"] == DEFAULT_ACCOUNT_SID
    assert (created["to"], created["from"]) == ("+15551234567", "+15005550006")
    assert created["body"] == "Fan on ✓" and created["numMedia"] == "2"
    assert created["dateCreated"].startswith("20")  # a real Date, not "Invalid Date"
    assert created["direction"] == "outbound-api" and created["price"] is None
    assert fetched == created
    media = seen["messages"]["media"]
    assert [m["parentSid"] for m in media] == [created["sid"]] * 2
    assert {m["contentType"] for m in media} == {"image/jpeg"}


def test_list_follows_next_page_uri_across_three_pages(seen):
    messages = seen["messages"]
    assert messages["listedBodies"] == ["n3", "n2", "n1", "n0", "Fan on ✓"]
    requests = messages["listRequests"]
    assert [r["method"] for r in requests] == ["GET"] * 3
    assert {r["path"] for r in requests} == {MESSAGES}
    assert [str(r["query"]["PageSize"]) for r in requests] == ["2"] * 3
    assert [r["query"].get("Page", "0") for r in requests] == ["0", "1", "2"]
    assert messages["eachSids"] == messages["listed"]
    assert messages["pageSizes"] == [2, 2, 1]
    assert messages["limited"] == ["n3", "n2"]
    assert messages["byRecipient"] == 0


def test_date_filters_match_the_day_the_client_names(seen):
    filters = seen["dateFilters"]
    assert filters["query"]["DateSent"].endswith("T00:00:00Z")  # a Date, as the client sends it
    assert (filters["dateSent"], filters["dateSentNextDay"]) == (5, 0)
    assert (filters["dateSentBefore"], filters["dateSentAfterNextDay"]) == (5, 0)
    assert (filters["startTime"], filters["startTimeNextDay"]) == (2, 0)
    assert filters["mediaDateCreated"] == 2


def test_remove_a_delivered_message(seen):
    messages = seen["messages"]
    assert messages["delivered"]["status"] == "delivered"
    assert messages["delivered"]["price"] == "-0.02000"
    assert messages["removed"] is True
    assert (messages["afterRemove"]["code"], messages["afterRemove"]["status"]) == (20404, 404)
    assert messages["left"] == 4


def test_calls_create_fetch_cancel_list_hang_up_and_remove(seen):
    calls = seen["calls"]
    by_url, inline = calls["byUrl"], calls["inline"]
    assert by_url["sid"].startswith("CA") and inline["sid"].startswith("CA")
    assert by_url["status"] == inline["status"] == "queued"
    assert calls["fetched"] == by_url
    assert calls["canceled"]["status"] == "canceled"
    assert calls["inProgress"] == [by_url["sid"]]
    assert calls["canceledList"] == [inline["sid"]]
    assert calls["hungUp"]["status"] == "completed"
    assert calls["completedList"] == [by_url["sid"]]
    assert calls["removed"] == [True, True]
    assert (calls["afterRemove"]["code"], calls["afterRemove"]["status"]) == (20404, 404)
    assert calls["left"] == 0


@pytest.mark.parametrize(
    "case, code, status",
    [
        ("invalidTo", 21211, 400),
        ("missingBody", 21602, 400),
        ("badCredentials", 20003, 401),
        ("unknownMessage", 20404, 404),
        ("unknownCall", 20404, 404),
        ("removeUndelivered", 20009, 400),
        ("cancelTwice", 21220, 400),
        ("pageSizeTooLarge", 20007, 400),
    ],
)
def test_errors_are_rest_exceptions_with_twilio_codes(seen, case, code, status):
    error = seen["errors"][case]
    assert error["raised"] and error["restException"], error
    assert (error["code"], error["status"]) == (code, status)
    assert error["moreInfo"] == "https://www.twilio.com/docs/errors/%d" % code
    assert error["message"]


def test_webhooks_the_sandbox_signed_validate_and_forgeries_do_not(seen):
    hooks = seen["webhooks"]
    assert sorted(h["status"] for h in hooks if h["path"] == "/status") == [
        "delivered",
        "sending",
        "sent",
    ]
    assert [h["status"] for h in hooks if h["path"] == "/voice"] == ["in-progress"]
    assert [h["status"] for h in hooks if h["path"] == "/sms"] == ["received"]
    for hook in hooks:
        assert hook["signed"] and hook["valid"], hook
        forged = ("forgedParams", "forgedUrl", "forgedSignature", "wrongToken")
        assert not any(hook[name] for name in forged), hook


def test_inbound_sms_reaches_a_node_app_and_its_twiml_reply_is_sent(seen):
    assert seen["inbound"]["received"] == ["Fan on ✓ 36.2°C"]
    assert seen["inbound"]["replies"] == [
        {"body": "Fan is on <ok> & 36.2°C", "direction": "outbound-reply"}
    ]


def test_sandbox_responses_do_not_wait_for_delayed_acks():
    """Found through the Node client's keep-alive: without TCP_NODELAY on the accepted
    sockets, every response after a connection's first waited ~40 ms for an ACK."""
    with SandboxServer() as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port)
        try:
            for _ in range(2):
                connection.request("GET", "/sandbox/info")
                assert connection.getresponse().read()
            protocols = server._server.server_state.connections
            sockets = [p.transport.get_extra_info("socket") for p in protocols]
            assert sockets
            assert all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in sockets)
        finally:
            connection.close()


def test_over_https_the_client_trusts_the_sandbox_only_through_its_ca(tls_server):
    seen = run_node("tls-check.js", tls_server.url, tls_server.ca_path)
    assert seen["trusted"] == {"sent": True, "body": "tls"}
    assert not seen["untrusted"]["sent"]
    assert seen["untrusted"]["code"] == "UNABLE_TO_VERIFY_LEAF_SIGNATURE", seen["untrusted"]
