"""The device link (utwilio.link) against a fake agent over real sockets, on CPython
and the MicroPython VM; then the pure logic (backoff, the ring, input checks)."""

import json
import ssl
import subprocess
from concurrent.futures import ThreadPoolExecutor
from xml.etree import ElementTree

import pytest
from devicevm import result, run
from linkserver import SENDER, FakeAgent, LossyProxy

FAST = [5, 40]  # backoff bounds in ms for tests: the same doubling, smaller numbers


@pytest.fixture
def agent():
    with FakeAgent() as a:
        yield a


def device_args(agent, **kw):
    return dict({"url": agent.url(), "backoff_ms": FAST}, **kw)


@pytest.fixture
def background():
    """Starts a device script while the test goes on talking to the agent:
    background(runtime, script, args) -> a future of its RESULT (plus, under "log",
    the lines the link printed)."""
    with ThreadPoolExecutor(2) as pool:
        yield lambda *a: pool.submit(logged, *a)


def logged(runtime, script, args):
    proc = run(runtime, script, args, timeout=90)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            out = json.loads(line[7:])
            out["log"] = [x for x in proc.stdout.splitlines() if x.startswith("utwilio.link:")]
            return out
    raise AssertionError("%s on %s printed no RESULT (exit %d)\nstdout:\n%s\nstderr:\n%s" % (
        script, runtime, proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))


@pytest.mark.parametrize("mode", ["run", "poll", "async"])
def test_handler_replies_are_acked(runtime, agent, mode):
    ids = [agent.add("fan", "on"), agent.add("STATUS"), agent.add("quiet"),
           agent.add("count"), agent.add("quit")]
    out = result(runtime, "link_commands.py", device_args(agent, mode=mode))
    assert out["ran"][:5] == [["fan", "on"], ["status", ""], ["quiet", ""], ["count", ""],
                              ["quit", ""]]
    assert agent.replies() == {ids[0]: ["fan on"], ids[1]: ["ok, " + SENDER], ids[2]: [None],
                               ids[3]: ["42"], ids[4]: ["bye"]}
    assert out["error"] is None and out["failures"] == 0 and out["command"] is None
    if mode == "async":
        assert out["ran"][5] == ["event", "EV"]
        assert agent.events == [{"name": "started", "data": {"mode": "async"}}]
    assert agent.pending == []


@pytest.mark.parametrize("fault", ["redelivered", "ack_lost"])
def test_a_redelivered_command_runs_once(runtime, agent, background, fault):
    """The agent delivers the same id again (its ack was answered, or its ack was cut
    off): the handler runs once and every ack carries the same reply."""
    if fault == "redelivered":
        fan = agent.add("fan", "on", deliveries=2)
    else:
        fan = agent.add("fan", "on", fail_acks=1)
    device = background(runtime, "link_commands.py", device_args(agent))
    assert agent.wait_for(lambda: len(agent.acks) == 2 and not agent.pending)
    agent.add("quit")
    out = device.result(timeout=120)
    assert out["ran"] == [["fan", "on"], ["quit", ""]]
    assert agent.replies()[fan] == ["fan on", "fan on"]
    assert out["error"] is None and out["failures"] == 0
    assert agent.pending == []


@pytest.mark.parametrize("mode", ["run", "async"])
def test_unknown_commands_and_failing_handlers_get_a_reply(runtime, agent, mode):
    ids = [agent.add("dance", "now"), agent.add("boom", "11"), agent.add("later", "x"),
           agent.add("fan", "off"), agent.add("quit")]
    out = result(runtime, "link_commands.py", device_args(agent, mode=mode))
    replies = agent.replies()
    assert replies[ids[0]] == ["unknown command 'dance'; try: boom, count, fan, later, quiet, "
                               "quit, status"]
    assert replies[ids[1]] == ["command 'boom' failed: ValueError: bad speed"]
    if mode == "async":
        assert replies[ids[2]] == ["later x"]
    else:
        assert replies[ids[2]] == ["command 'later' is async: run the link with run_async()"]
    assert replies[ids[3]] == ["fan off"]
    assert [r[0] for r in out["ran"][:4]] == ["boom"] + (["later"] if mode == "async" else []) + [
        "fan", "quit"]


@pytest.mark.parametrize("use_async", [False, True], ids=["blocking", "async"])
def test_events_and_alerts_reach_the_agent(runtime, agent, use_async):
    agent.alert_answers = [(429, {"error": "cooling down", "retry_after": 60})]
    data = {"t": 36.2, "ok": False, "where": "serre n°2 🌡", "list": [1, None]}
    calls = [{"op": "send", "name": "temp", "data": data},
             {"op": "send", "name": "boot"},
             {"op": "alert", "message": "Greenhouse hot: 36.2°C", "key": "hot"},
             {"op": "alert", "message": "Greenhouse hot: 36.4°C", "key": "hot"},
             {"op": "alert", "message": "Door open"}]
    out = result(runtime, "link_send.py", device_args(agent, calls=calls, **{"async": use_async}))
    assert out == [
        {"value": "EV", "error": None},
        {"value": "EV", "error": None},
        {"value": None, "error": "agent answered HTTP 429: cooling down (retry after 60 s)"},
        {"value": ["SM"], "error": None},
        {"value": ["SM"], "error": None},
    ]
    assert agent.events == [{"name": "temp", "data": data}, {"name": "boot", "data": None}]
    assert agent.alerts == [{"message": "Greenhouse hot: 36.2°C", "key": "hot"},
                            {"message": "Greenhouse hot: 36.4°C", "key": "hot"},
                            {"message": "Door open"}]


@pytest.mark.parametrize("device, token, status, why", [
    ("dev-1", "wrong", 401, "unknown device token"),
    ("dev-2", "token-1", 403, "this token belongs to another device"),
])
def test_a_refused_token_is_reported_not_raised(runtime, device, token, status, why):
    with FakeAgent({"dev-1": "token-1", "dev-2": "token-2"}) as agent:
        calls = [{"op": "send", "name": "boot"}, {"op": "alert", "message": "hot"}]
        out = result(runtime, "link_send.py", device_args(agent, device=device, token=token,
                                                          calls=calls))
        error = "agent answered HTTP %d: %s" % (status, why)
        assert out == [{"value": None, "error": error}] * 2
        assert agent.events == [] and agent.alerts == []


def test_an_unreachable_agent_is_reported_not_raised(runtime, agent):
    agent.down()
    out = result(runtime, "link_send.py", device_args(agent, calls=[{"op": "send", "name": "x"}]))
    assert out[0]["value"] is None
    assert out[0]["error"].startswith("agent unreachable: could not connect to 127.0.0.1:%d"
                                      % agent.port)


@pytest.mark.parametrize("mode", ["run", "async"])
def test_an_agent_restart_during_a_long_poll_is_survived(runtime, agent, background, mode):
    device = background(runtime, "link_commands.py", device_args(agent, mode=mode, wait=30))
    assert agent.wait_for(lambda: agent.polls == [30])
    agent.reset()  # cuts the long-poll, then resets the device's retries
    assert agent.wait_for(lambda: agent.resets >= 3)
    agent.up()
    fan = agent.add("fan", "on")
    agent.add("quit")
    out = device.result(timeout=120)
    assert out["ran"][:2] == [["fan", "on"], ["quit", ""]]
    assert agent.replies()[fan] == ["fan on"]
    assert out["error"] is None and out["failures"] == 0
    assert len(out["log"]) == 1, out["log"]  # one line per outage, not one per retry
    assert out["log"][0].startswith("utwilio.link: agent unreachable: ")


ROUNDS = 40
FULL = 17  # rounds after which the ring of recent command ids (16) is full: heap is flat
HEAP = 128 * 1024  # the scripts are compiled from source on the VM (asyncio needs more)
SLACK = 512  # bytes; a leaked socket, response or exception chain costs more per round


@pytest.mark.parametrize("use_async, keep_alive", [(False, False), (True, False), (False, True)],
                         ids=["blocking", "async", "blocking-keep-alive"])
def test_outages_are_survived_without_leaks(runtime, agent, use_async, keep_alive):
    """Each round: connections refused three times, reset three times, then a command
    served. Heap in use and open descriptors once the ring is full, and at the end.
    With an agent that keeps connections alive, the link's kept connection is cut by
    each outage and replaced."""
    agent.keep_alive = keep_alive
    args = device_args(agent, control=agent.control_url(), rounds=ROUNDS, backoff_ms=[2, 8],
                       marks=[FULL, ROUNDS - 1], **{"async": use_async})
    out = result(runtime, "link_outage.py", args,
                 heapsize=HEAP if runtime == "micropython" else None)
    assert out["handled"] == {"count": ROUNDS, "wrong": []}
    assert out["failures"] == {"0": ROUNDS} and out["error"] is None
    assert agent.resets >= 3 * ROUNDS
    first, last = out["marks"]
    assert last["fds"] == first["fds"], out["marks"]
    assert last["heap"] - first["heap"] <= SLACK, out["marks"]


def test_a_cancelled_task_closes_its_long_poll(runtime, agent):
    """asyncio.create_task(link.run_async()) cancelled mid long-poll, 25 times: each
    ends with CancelledError and leaves no socket or heap behind (measured after the
    first cancels have warmed asyncio up)."""
    out = result(runtime, "link_cancel.py", device_args(agent, control=agent.control_url(),
                                                         n=25, marks=[5, 24], wait=30))
    assert out["cancelled"] == 25 and out["error"] is None
    first, last = out["marks"]
    assert last["fds"] == first["fds"], out["marks"]
    assert last["heap"] - first["heap"] <= SLACK, out["marks"]
    assert agent.polls == [30] * 25


@pytest.fixture
def der(ca, tmp_path):
    def write(authority, name):
        path = tmp_path / name
        path.write_bytes(ssl.PEM_cert_to_DER_cert(authority.cert_pem.bytes().decode()))
        return str(path)
    return write


def test_the_link_verifies_the_agent_certificate(runtime, ca, der):
    import trustme

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(ctx)
    with FakeAgent(ssl_context=ctx) as agent:
        calls = [{"op": "send", "name": "boot"}]
        url = agent.url("localhost")
        for use_async in (False, True):
            trusted = result(runtime, "link_send.py", {
                "url": url, "ca": der(ca, "ca.der"), "calls": calls, "async": use_async})
            stranger = result(runtime, "link_send.py", {
                "url": url, "ca": der(trustme.CA(), "other.der"), "calls": calls,
                "async": use_async})
            assert trusted == [{"value": "EV", "error": None}]
            assert stranger[0]["value"] is None
            assert stranger[0]["error"].startswith(
                "agent unreachable: TLS certificate of localhost:%d not trusted" % agent.port)
        assert len(agent.events) == 2


def test_import_utwilio_does_not_load_the_link(runtime):
    """An alert-only device pays nothing for the link; the link itself loads neither
    asyncio nor TLS until it needs them."""
    out = result(runtime, "link_import.py")
    # The package __init__, which every `utwilio.x` import runs, loads no send path:
    # Twilio (utwilio.twilio, validate, form) comes on first use of utwilio.Twilio.
    assert out["core"] == ["utwilio", "utwilio.errors"]
    assert sorted(set(out["link"]) - set(out["core"])) == ["utwilio.link"]
    assert sorted(set(out["made"]) - set(out["link"])) == ["utwilio.http", "utwilio.linkhttp",
                                                           "utwilio.wire"]
    # An MQTT device loads nothing of HTTP, an HTTP device nothing of MQTT.
    out = result(runtime, "link_import.py", {"url": "mqtt://127.0.0.1:9"})
    assert sorted(set(out["made"]) - set(out["link"])) == ["utwilio.linkmqtt", "utwilio.mqtt"]


# --- pure logic, on CPython ----------------------------------------------------------

def _link(**kw):
    from utwilio.link import Link

    return Link("http://127.0.0.1:9", "dev-1", "token-1", **kw)


def test_backoff_doubles_with_jitter_up_to_a_cap_and_resets_on_success(monkeypatch):
    """The waits are computed, not timed: the clock and the random bits are fixed."""
    from utwilio import link as module

    link = _link()
    monkeypatch.setattr(module.time, "ticks_ms", lambda: 1000)
    waits = []
    for bits in (0, 255, 0, 255, 0, 255, 0, 255):
        monkeypatch.setattr(module.random, "getrandbits", lambda n, bits=bits: bits)
        link.error = "down"
        link._fail()
        waits.append(link._pause_ms())
    delays = [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]  # doubling, capped
    lowest = [d // 2 for d in delays[0::2]]
    highest = [d // 2 + 255 * (d // 2) // 256 for d in delays[1::2]]  # just under d
    assert waits[0::2] == lowest and waits[1::2] == highest
    assert link.failures == 8 and link.poll() == 0  # backing off: no request made
    assert link._commands((200, b'{"commands": []}')) == []
    assert link.failures == 0 and link._pause_ms() == 0 and link.error is None
    link.error = "down again"
    monkeypatch.setattr(module.random, "getrandbits", lambda n: 255)
    link._fail()
    assert link._pause_ms() == 500 + 255 * 500 // 256


@pytest.mark.parametrize("answer, error", [
    ((200, b'{"commands": {}}'), "agent sent a malformed command list: {'commands': {}}"),
    ((200, b'{"commands": [{"id": 7}]}'), "agent sent a malformed command list: "),
    ((200, b"<html>"), "agent answered HTTP 200: b'<html>'"),
    ((502, b"Bad Gateway"), "agent answered HTTP 502: b'Bad Gateway'"),
    ((7, "could not connect to x:1"), "agent unreachable: could not connect to x:1"),
])
def test_a_bad_poll_answer_is_a_failure_that_backs_off(answer, error):
    link = _link()
    assert link._commands(answer) == ()
    assert link.error.startswith(error) and link.failures == 1


def test_the_ring_forgets_the_oldest_command():
    from utwilio.link import RECENT

    link = _link()
    link.on("fan", lambda args: "fan " + args)
    cmds = [{"id": "CM%d" % i, "name": "fan", "args": str(i)} for i in range(RECENT + 1)]
    for cmd in cmds:
        assert link._recall(cmd) is None
        assert link._drive(link._run(cmd)) == [cmd["id"], "fan " + cmd["args"]]
    assert link._recall(cmds[0]) is None
    assert link._recall(cmds[1]) == ["CM1", "fan 1"]
    assert len(link._recent) == RECENT


def test_unknown_commands_list_the_known_ones():
    link = _link()
    run = lambda cmd: link._drive(link._run(cmd))  # noqa: E731
    assert run({"id": "CM1", "name": "fan"})[1] == (
        "unknown command 'fan'; try: (none: no handlers registered)")
    link.on("Status", lambda args: "ok")
    link.on("fan", lambda args: "on")
    assert run({"id": "CM2", "name": "x" * 30})[1] == (
        "unknown command '%s'; try: fan, status" % ("x" * 20))
    assert run({"id": "CM3", "name": "STATUS"})[1] == "ok"


@pytest.mark.parametrize("call, message", [
    (lambda L: L("ftp://agent", "dev-1", "t"), "agent_url must be an http(s):// URL"),
    (lambda L: L("http://agent", "dev 1", "t"), "device_id must be 1-64 letters, digits"),
    (lambda L: L("http://agent", "", "t"), "device_id must be 1-64 letters, digits"),
    (lambda L: L("http://agent", "dev-1", ""), "token must be the device's token, a non-empty"),
    (lambda L: L("http://agent", "dev-1", b"s3cret"), "token must be the device's token, a "),
    (lambda L: L("http://agent", "dev-1", "t", wait=61), "wait must be whole seconds from 0"),
    (lambda L: L("https://agent", "dev-1", "t", cadata=b"-----BEGIN CERTIFICATE-----")
     .channel.transport.context(), "cadata is a PEM certificate"),
    (lambda L: L("http://agent", "dev-1", "t").on("fan on", print), "command name must be"),
    (lambda L: L("http://agent", "dev-1", "t").send(""),
     "name must be a str of 1-64 characters, got ''"),
    (lambda L: L("http://agent", "dev-1", "t").alert(None),
     "message must be a str of 1-1600 characters, got None"),
    (lambda L: L("http://agent", "dev-1", "t").alert("x" * 1601),
     "message must be a str of 1-1600 characters, got 1601 characters"),
    (lambda L: L("http://agent", "dev-1", "t").alert("hot", key=3),
     "key must be a str of 1-200 characters, got 3"),
])
def test_bad_arguments_say_what_to_fix(call, message, tmp_path, monkeypatch):
    from utwilio.link import Link

    monkeypatch.chdir(tmp_path)  # no ca.der here
    with pytest.raises(ValueError) as e:
        call(Link)
    assert str(e.value).startswith(message)
    assert "s3cret" not in str(e.value)


def test_https_uses_ca_der_like_twilio(tmp_path, monkeypatch, ca):
    """No cadata: the bundled roots and ca.der, read on the first HTTPS request."""
    from utwilio import ca as cas
    from utwilio.link import Link
    from utwilio.roots import ROOTS

    der = ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode())
    (tmp_path / "ca.der").write_bytes(der)
    monkeypatch.chdir(tmp_path)
    assert cas.certificates(Link("https://agent", "dev-1", "t").channel.transport.cadata) == [
        *ROOTS, der]


# --- end to end: the real agent under uvicorn, Twilio played by the sandbox ----------

OWNER = "+15551234567"
NUMBER = "+15005550006"  # a sandbox number: the greenhouse's


class RealAgent:
    """utwilio_agent from a TOML file like a user's (its database in a file, so a
    restart keeps devices and queues), under uvicorn on 127.0.0.1; texts reach it as
    webhooks signed as Twilio signs them; its REST sends go to the sandbox."""

    def __init__(self, folder, twilio_url):
        from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

        self.path = folder / "utwilio-agent.toml"
        self.path.write_text(
            "[agent]\ndatabase = %r\nreply_deadline = 14\nacknowledgement = \"\"\n"
            "[twilio]\nbase_url = %r\nnumber = %r\n"
            "[devices.greenhouse]\nnumbers = [%r]\nallow = [%r]\ncontacts = [%r]\n"
            % (str(folder / "agent.db"), twilio_url, NUMBER, NUMBER, OWNER, OWNER))
        self.environ = {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
                        "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN}
        self.port = 0
        self.server = None

    def add_device(self, name):
        """`utwilio-agent device add NAME` -> the token it prints."""
        import contextlib
        import io

        from utwilio_agent.cli import main

        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            assert main(["--config", str(self.path), "device", "add", name]) == 0
        return out.getvalue().split()[0]

    def start(self):
        from utwilio_agent.app import create_app
        from utwilio_agent.config import load
        from utwilio_sandbox.server import ServerThread

        self.server = ServerThread(create_app(load(self.path, self.environ)), port=self.port)
        self.server.start()
        self.port = self.server.port
        return self

    def stop(self):
        self.server.stop()

    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def text(self, body, sender=OWNER):
        """A person texts NUMBER: Twilio's signed webhook -> the <Message> texts of the
        TwiML the agent answers."""
        import os

        import httpx
        from utwilio import signature

        url = self.url() + "/twilio/sms"
        sid = "SM" + os.urandom(16).hex()
        params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": self.environ[
            "TWILIO_ACCOUNT_SID"], "From": sender, "To": NUMBER, "Body": body,
            "NumMedia": "0", "ApiVersion": "2010-04-01"}
        headers = {"X-Twilio-Signature": signature.compute(
            self.environ["TWILIO_AUTH_TOKEN"], url, params)}
        r = httpx.post(url, data=params, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        return [m.text for m in ElementTree.fromstring(r.content).iter("Message")]


@pytest.fixture(scope="module")
def sandbox():
    from utwilio_sandbox.server import SandboxServer

    with SandboxServer(step_seconds=0) as server:
        yield server


@pytest.fixture
def real_agent(tmp_path, sandbox):
    sandbox.sandbox.reset()
    agent = RealAgent(tmp_path, sandbox.url)
    agent.token = agent.add_device("greenhouse")
    agent.start()
    yield agent
    agent.stop()


def real_args(agent, **kw):
    return dict({"url": agent.url(), "device": "greenhouse", "token": agent.token,
                 "backoff_ms": [20, 200]}, **kw)


@pytest.mark.parametrize("mode", ["run", "async"])
def test_a_text_is_answered_by_the_device_through_the_real_agent(runtime, real_agent,
                                                                 background, mode):
    device = background(runtime, "link_commands.py", real_args(real_agent, mode=mode))
    assert real_agent.text("fan on") == ["fan on"]
    assert real_agent.text("Status") == ["ok, " + OWNER]
    assert real_agent.text("dance") == [
        "unknown command 'dance'; try: boom, count, fan, later, quiet, quit, status"]
    assert real_agent.text("boom 11") == ["command 'boom' failed: ValueError: bad speed"]
    # Outside the BMP: MicroPython's json would not join a \ud83c\udf00 escape pair.
    assert real_agent.text("fan 🌀 max") == ["fan 🌀 max"]
    assert real_agent.text("quit") == ["bye"]
    out = device.result(timeout=120)
    assert out["ran"][:5] == [["fan", "on"], ["status", ""], ["boom", "11"], ["fan", "🌀 max"],
                              ["quit", ""]]
    assert out["error"] is None and out["failures"] == 0
    if mode == "run":  # keep-alive: every poll and ack on one connection
        assert out["opened"] == 1


def sandbox_messages(sandbox, to):
    """The SMS the sandbox accepted for `to`, oldest first (Twilio's list API)."""
    import httpx
    from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

    r = httpx.get("%s/2010-04-01/Accounts/%s/Messages.json" % (sandbox.url, DEFAULT_ACCOUNT_SID),
                  params={"To": to}, auth=(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN))
    return [(m["from"], m["body"]) for m in reversed(r.json()["messages"])]


@pytest.mark.parametrize("use_async", [False, True], ids=["blocking", "async"])
def test_alerts_and_events_through_the_real_agent(runtime, real_agent, sandbox, use_async):
    calls = [{"op": "send", "name": "temp", "data": {"t": 36.2, "where": "serre n°2"}},
             {"op": "alert", "message": "Greenhouse hot: 36.2°C", "key": "hot"},
             {"op": "alert", "message": "Greenhouse hot: 36.9°C", "key": "hot"},
             {"op": "alert", "message": "Door open 🚪"}]
    out = result(runtime, "link_send.py", real_args(real_agent, calls=calls,
                                                    **{"async": use_async}))
    assert out[0] == {"value": "EV", "error": None}
    assert out[1] == {"value": ["SM"], "error": None}
    assert out[2]["value"] is None
    assert out[2]["error"].startswith("agent answered HTTP 429: alert not sent: the same alert "
                                      "is cooling down (retry after ")
    assert out[3] == {"value": ["SM"], "error": None}
    assert sandbox_messages(sandbox, OWNER) == [(NUMBER, "Greenhouse hot: 36.2°C"),
                                                (NUMBER, "Door open 🚪")]


@pytest.mark.parametrize("mode", ["run", "async"])
def test_the_device_survives_a_real_agent_restart(runtime, real_agent, background, mode):
    """The agent stops while the device long-polls and comes back on the same port
    with the same database: the device backs off, reconnects and answers."""
    device = background(runtime, "link_commands.py", real_args(real_agent, mode=mode))
    assert real_agent.text("fan on") == ["fan on"]
    real_agent.stop()
    real_agent.start()
    assert real_agent.text("fan off") == ["fan off"]
    assert real_agent.text("quit") == ["bye"]
    out = device.result(timeout=120)
    assert out["ran"][:3] == [["fan", "on"], ["fan", "off"], ["quit", ""]]
    assert len(out["log"]) == 1, out["log"]
    assert out["log"][0].startswith("utwilio.link: agent unreachable: ")
    assert out["error"] is None and out["failures"] == 0


def test_a_lost_ack_makes_the_real_agent_redeliver_and_the_device_runs_it_once(
        runtime, real_agent, background):
    """A proxy loses the device's first ack on its way to the agent: the agent delivers
    the command again, the device acks it from memory, and the text still gets its
    reply (from the one run)."""
    with LossyProxy(real_agent.port) as proxy:
        device = background(runtime, "link_commands.py",
                            real_args(real_agent, url=proxy.url()))
        assert real_agent.text("fan on") == ["fan on"]
        assert len(proxy.lost) == 1 and "/ack " in proxy.lost[0]
        assert real_agent.text("quit") == ["bye"]
        out = device.result(timeout=120)
    assert out["ran"] == [["fan", "on"], ["quit", ""]]


# --- on a small heap, precompiled as on a board ---------------------------------------

LINK_MODULES = ("__init__", "errors", "form", "validate", "http", "wire", "ahttp", "link",
                "linkasync", "linkhttp")
SMALL_HEAP = 60 * 1024  # measured minimum for one poll, blocking or asyncio: 50-51 KB


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    from devicevm import DEVICE, MICROPYTHON

    root = tmp_path_factory.mktemp("board")
    lib = root / "lib" / "utwilio"
    lib.mkdir(parents=True)
    for name in LINK_MODULES:
        subprocess.run([str(MICROPYTHON.parent / "mpy-cross"), "-o", str(lib / (name + ".mpy")),
                        str(DEVICE / "utwilio" / (name + ".py"))], check=True)
    (root / "main.py").write_text(
        "import sys\n"
        "from utwilio.link import Link\n"
        "link = Link(sys.argv[1], 'dev-1', 'token-1', wait=0)\n"
        "link.on('fan', lambda args: 'fan ' + args)\n"
        "if sys.argv[2] == 'async':\n"
        "    import asyncio\n"
        "    done = asyncio.run(link.poll_async())\n"
        "else:\n"
        "    done = link.poll()\n"
        "print(done, link.error)\n")
    return root


@pytest.mark.parametrize("mode", ["blocking", "async"])
def test_a_poll_from_mpy_fits_a_small_heap(board, agent, mode):
    """The link's modules as .mpy, as on a board; one poll that runs and acks a command
    on a small fixed heap (MicroPython only: the heap limit is the point)."""
    from devicevm import MICROPYTHON

    fan = agent.add("fan", "on")
    proc = subprocess.run([str(MICROPYTHON), "-X", "heapsize=%d" % SMALL_HEAP, "main.py",
                           agent.url(), mode], cwd=board, capture_output=True, text=True,
                          timeout=60, env={"MICROPYPATH": "lib:.frozen"})
    assert proc.stdout.split() == ["1", "None"], proc.stdout + proc.stderr
    assert agent.replies() == {fan: ["fan on"]}


class _FlakyTransport:
    """Answers from a list; an exception in the list is raised instead (unit tests)."""

    def __init__(self, answers):
        self.answers = answers
        self.requests = []
        self.timeout = None

    def request(self, method, url, headers, body=None):
        self.requests.append((method, url.split("/dev-1", 1)[1], self.timeout))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer[0], {}, answer[1]


def test_run_outlives_an_exception_outside_the_handlers(monkeypatch, capsys):
    """Out of memory while building a request, say: run() reports it, backs off and
    goes on; the long-poll's socket timeout is the wait plus the timeout."""
    from utwilio import link as module

    monkeypatch.setattr(module, "BACKOFF_MIN_MS", 2)
    link = _link(wait=20, timeout=5)
    link.on("quit", lambda args: link.stop())
    quit_cmd = b'{"commands": [{"id": "CM1", "name": "quit", "args": ""}]}'
    link.channel.transport = _FlakyTransport([MemoryError("memory allocation failed"),
                                      (200, quit_cmd), (200, b'{"ok": true}')])
    link.run()
    assert link.channel.transport.requests == [("GET", "/commands?wait=20", 25),
                                       ("GET", "/commands?wait=20", 25),
                                       ("POST", "/commands/CM1/ack", 5)]
    assert capsys.readouterr().out == ("utwilio.link: MemoryError: memory allocation failed; "
                                       "retrying with backoff\n")
    assert link.failures == 0 and link.error is None
