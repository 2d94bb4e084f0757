"""The link over MQTT, end to end: the device package (on CPython and the real
MicroPython VM) and the real agent, through a real Mosquitto with verified TLS (a CA
made at test time), configured by the agent's own broker-config code; Twilio played
by the sandbox. Then the broker's per-device rules, and crashes: the broker killed and
restarted, the agent killed with SIGKILL and restarted."""

import time

import pytest
from mosquitto import AGENT_PASSWORD, Mosquitto


def _http_link_tests():
    """tests/test_link.py (its name is also tests/agent/test_link.py's): its real
    agent, sandbox and background fixtures serve here too."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "http_link_tests", Path(__file__).with_name("test_link.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_http = _http_link_tests()
OWNER, NUMBER, RealAgent = _http.OWNER, _http.NUMBER, _http.RealAgent
sandbox, background = _http.sandbox, _http.background

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def broker(tmp_path, ca):
    with Mosquitto(tmp_path / "broker", ca) as b:
        yield b


def with_mqtt(agent, broker):
    """The agent's TOML gains [mqtt]; its broker password comes from the environment."""
    agent.path.write_text(agent.path.read_text() + "[mqtt]\nurl = %r\nca = %r\nbroker_dir = %r\n"
                          "resend = 2\n" % (broker.url, str(broker.ca_pem), str(broker.folder)))
    agent.environ = dict(agent.environ, UTWILIO_MQTT_PASSWORD=AGENT_PASSWORD)
    return agent


@pytest.fixture
def mqtt_agent(tmp_path, sandbox, broker):  # noqa: F811
    sandbox.sandbox.reset()
    agent = with_mqtt(RealAgent(tmp_path, sandbox.url), broker)
    # `device add` gives the device its broker login; the running broker reloads it.
    agent.token = agent.add_device("greenhouse")
    agent.start()
    yield agent
    agent.stop()


def device_args(agent, broker, **kw):
    return dict({"url": broker.url, "ca": str(broker.ca_der), "device": "greenhouse",
                 "token": agent.token, "backoff_ms": [20, 200]}, **kw)


@pytest.mark.parametrize("mode", ["run", "async"])
def test_a_text_is_answered_by_the_device_over_mqtt(runtime, mqtt_agent, broker, background,  # noqa: F811
                                                    mode):
    device = background(runtime, "link_commands.py", device_args(mqtt_agent, broker, mode=mode))
    assert mqtt_agent.text("fan on") == ["fan on"]
    assert mqtt_agent.text("Status") == ["ok, " + OWNER]
    assert mqtt_agent.text("boom 11") == ["command 'boom' failed: ValueError: bad speed"]
    assert mqtt_agent.text("fan 🌀 max") == ["fan 🌀 max"]
    assert mqtt_agent.text("quit") == ["bye"]
    out = device.result(timeout=120)
    assert out["ran"][:5] == [["fan", "on"], ["status", ""], ["boom", "11"], ["fan", "🌀 max"],
                              ["quit", ""]]
    assert out["error"] is None and out["failures"] == 0
    assert out["log"] == []  # one connection throughout: no outage, no reconnect
    if mode == "async":
        assert out["ran"][5] == ["event", "EV"]


@pytest.mark.parametrize("mode", ["run", "async"])
def test_an_idle_device_keeps_its_one_connection_alive(runtime, mqtt_agent, broker, background,  # noqa: F811
                                                       mode):
    """Keepalive 2 s: pings every second while idle for 5 s, on the same connection
    (MicroPython's TLS socket cannot write after a timed-out read: waits use poll())."""
    device = background(runtime, "link_commands.py", device_args(
        mqtt_agent, broker, mode=mode, keepalive=2))
    time.sleep(5)
    assert mqtt_agent.text("fan on") == ["fan on"]
    assert mqtt_agent.text("quit") == ["bye"]
    out = device.result(timeout=120)
    assert out["log"] == [] and out["error"] is None
    assert out["opened"] == 1


@pytest.mark.parametrize("use_async", [False, True], ids=["blocking", "async"])
def test_alerts_and_events_over_mqtt(runtime, mqtt_agent, broker, sandbox, use_async):  # noqa: F811
    from devicevm import result

    calls = [{"op": "send", "name": "temp", "data": {"t": 36.2, "where": "serre n°2"}},
             {"op": "alert", "message": "Greenhouse hot: 36.2°C", "key": "hot"},
             {"op": "alert", "message": "Greenhouse hot: 36.9°C", "key": "hot"},
             {"op": "alert", "message": "Door open 🚪"}]
    out = result(runtime, "link_send.py", device_args(mqtt_agent, broker, calls=calls,
                                                      **{"async": use_async}))
    assert out[0] == {"value": "EV", "error": None}
    assert out[1] == {"value": ["SM"], "error": None}
    assert out[2]["value"] is None
    assert out[2]["error"].startswith("agent answered HTTP 429: alert not sent: the same alert "
                                      "is cooling down (retry after ")
    assert out[3] == {"value": ["SM"], "error": None}
    assert _http.sandbox_messages(sandbox, OWNER) == [(NUMBER, "Greenhouse hot: 36.2°C"),
                                                (NUMBER, "Door open 🚪")]


def test_the_delivery_statuses_of_its_alerts_reach_the_device(runtime, tmp_path, sandbox,  # noqa: F811
                                                               broker):
    """The sandbox calls the agent back with each SMS's status; the agent forwards them
    in the device's next head, and on_status gets them."""
    from devicevm import result
    from mosquitto import free_port

    sandbox.sandbox.reset()
    agent = with_mqtt(RealAgent(tmp_path, sandbox.url), broker)
    agent.port = free_port()
    agent.path.write_text(agent.path.read_text().replace(
        "[agent]\n", "[agent]\npublic_url = %r\n" % agent.url(), 1))
    agent.token = agent.add_device("greenhouse")
    agent.start()
    try:
        out = result(runtime, "link_status.py", device_args(agent, broker, polls=30))
    finally:
        agent.stop()
    assert out["error"] is None and len(out["sent"]) == 1
    assert {s["sid"] for s in out["statuses"]} == set(out["sent"])
    assert {s["kind"] for s in out["statuses"]} == {"alert"}
    assert out["statuses"][-1]["status"] == "delivered"


@pytest.mark.parametrize("use_async", [False, True], ids=["blocking", "async"])
def test_the_link_verifies_the_brokers_certificate(runtime, mqtt_agent, broker, tmp_path,
                                                   use_async):
    """A broker whose certificate another CA signed is refused before any login."""
    import ssl

    import trustme

    other = tmp_path / "other.der"
    other.write_bytes(ssl.PEM_cert_to_DER_cert(trustme.CA().cert_pem.bytes().decode()))
    from devicevm import result

    out = result(runtime, "link_send.py", device_args(
        mqtt_agent, broker, ca=str(other), calls=[{"op": "send", "name": "boot"}],
        **{"async": use_async}))
    assert out[0]["value"] is None
    assert out[0]["error"].startswith(
        "agent unreachable: TLS certificate of localhost:%d not trusted" % broker.port), out


def test_a_device_reaches_only_its_own_topics(mqtt_agent, broker):
    """garage's login can neither read greenhouse's commands nor ack, send or alert
    for it; a wrong token cannot log in at all."""
    import paho.mqtt.client as mqtt

    garage = mqtt_agent.add_device("garage")
    seen = []

    def client(user, password):
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=user)
        c.username_pw_set(user, password)
        c.tls_set(ca_certs=str(broker.ca_pem))
        c.on_message = lambda cl, u, m: seen.append((user, m.topic, m.payload))
        codes = []
        c.on_connect = lambda cl, u, flags, rc, props: codes.append(rc)
        c.connect("localhost", broker.port)
        c.loop_start()
        deadline = time.monotonic() + 10
        while not codes and time.monotonic() < deadline:
            time.sleep(0.02)
        return c, codes

    intruder, codes = client("garage", garage)
    assert codes and not codes[0].is_failure
    # Mosquitto 2.0 grants any subscription and checks each message against the ACL.
    intruder.subscribe([("utw/v1/greenhouse/cmd", 1), ("utw/v1/greenhouse/#", 1), ("utw/#", 1)])
    broker.add_agent("watcher", "watcher-password")
    watcher, _ = client("watcher", "watcher-password")
    watcher.subscribe("utw/v1/greenhouse/#", 1)
    time.sleep(0.5)
    watcher.publish("utw/v1/greenhouse/cmd", b'{"commands": []}', qos=1).wait_for_publish(5)
    for kind in ("ack", "event", "alert", "presence"):
        intruder.publish("utw/v1/greenhouse/" + kind, b'{"id": "CM1", "reply": "pwned"}',
                         qos=1).wait_for_publish(5)
    time.sleep(1)
    assert [s for s in seen if s[0] == "garage"] == []
    assert [s[1] for s in seen if s[0] == "watcher"] == ["utw/v1/greenhouse/cmd"]
    for c in (intruder, watcher):
        c.loop_stop()
        c.disconnect()
    _, refused = client("greenhouse", "wrong-token")
    assert refused and refused[0].is_failure


# --- crashes: nothing lost, nothing run twice ------------------------------------------

def queue(agent, *texts):
    """`utwilio-agent send` for each text: commands stored beside the running agent."""
    from agenttest import run_cli

    for text in texts:
        r = run_cli("--config", str(agent.path), "send", "greenhouse", text, env=agent.environ)
        assert r.returncode == 0, r.stderr


FANS = ["fan %d" % i for i in range(2, 8)]
RAN = [["fan", "1"]] + [["fan", t.split()[1]] for t in FANS] + [["quit", ""]]


def test_the_broker_killed_mid_stream_and_restarted_loses_nothing(runtime, mqtt_agent, broker,
                                                                   background):  # noqa: F811
    device = background(runtime, "link_commands.py", device_args(mqtt_agent, broker))
    assert mqtt_agent.text("fan 1") == ["fan 1"]
    queue(mqtt_agent, *FANS[:3])
    broker.stop(kill=True)
    queue(mqtt_agent, *FANS[3:])  # accepted while the broker is down: the store keeps them
    time.sleep(1)
    broker.start()
    queue(mqtt_agent, "quit")
    out = device.result(timeout=150)
    assert out["ran"] == RAN
    assert out["error"] is None and out["failures"] == 0
    assert len(out["log"]) == 1 and "agent unreachable" in out["log"][0], out["log"]


class AgentProcess:
    """The agent as `utwilio-agent serve` in its own process, so it can be killed -9."""

    def __init__(self, agent):
        self.agent = agent
        self.proc = None

    def start(self):
        import os
        import subprocess
        import sys

        import httpx

        if not self.agent.port:
            from mosquitto import free_port

            self.agent.port = free_port()
        log = open(self.agent.path.with_name("agent.log"), "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "utwilio_agent", "--config", str(self.agent.path), "serve",
             "--port", str(self.agent.port)], env=dict(os.environ, **self.agent.environ),
            stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.agent.url() + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("the agent did not start")

    def kill(self):
        import signal

        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def test_the_agent_killed_mid_stream_and_restarted_loses_nothing(runtime, tmp_path, sandbox,  # noqa: F811
                                                                 broker, background):  # noqa: F811
    sandbox.sandbox.reset()
    agent = with_mqtt(RealAgent(tmp_path, sandbox.url), broker)
    agent.token = agent.add_device("greenhouse")
    process = AgentProcess(agent).start()
    try:
        device = background(runtime, "link_commands.py", device_args(agent, broker))
        assert agent.text("fan 1") == ["fan 1"]
        queue(agent, *FANS[:3])
        process.kill()
        queue(agent, *FANS[3:])
        process.start()
        queue(agent, "quit")
        out = device.result(timeout=150)
    finally:
        process.stop()
    assert out["ran"] == RAN
    assert out["error"] is None and out["failures"] == 0


# --- pure logic, on CPython ----------------------------------------------------------

class ScriptedConn:
    """Stands in for mqtt.Conn: records what the client writes, answers its reads from
    a script of packets (None: nothing arrives within the wait)."""

    def __init__(self, packets):
        self.data = b"".join(p for p in packets if p is not None)
        self.gaps = [i for i, p in enumerate(packets) if p is None]
        self.written = []

    def io(self, op):
        if op[0] == "write":
            self.written.append(op[1])
        elif op[0] == "read":
            if op[3] and (not self.data or self.gaps and self.gaps[0] == 0):
                if self.gaps:
                    self.gaps.pop(0)
                return None
            chunk, self.data = self.data[:op[1]], self.data[op[1]:]
            return chunk

    def close(self):
        pass


def test_the_mqtt_client_speaks_mqtt_3_1_1(monkeypatch):
    """CONNECT with the device's login and a retained QoS 1 Last Will, SUBSCRIBE to its
    own topics, a retained hello, then a command acked on the ack topic (PUBACK for
    the QoS 1 head); the statuses forwarded reach on_status."""
    from utwilio import mqtt
    from utwilio.link import Link

    link = Link("mqtt://broker.local", "dev-1", "tok", wait=1)
    statuses = []
    link.on_status(statuses.append)
    link.on("fan", lambda args: "fan " + args)
    head = json_bytes({"commands": [{"id": "CM1", "name": "fan", "args": "on"}],
                       "statuses": [{"sid": "SM1", "status": "delivered"}]})
    publish = mqtt._packet(0x32, mqtt._str("utw/v1/dev-1/cmd") + b"\x00\x07" + head)
    link.channel.conn = conn = ScriptedConn([
        b"\x20\x02\x00\x00",  # CONNACK accepted
        b"\x90\x04\x00\x01\x01\x01",  # SUBACK, QoS 1 twice
        b"\x40\x02\x00\x02",  # PUBACK of the hello
        publish,
        b"\x40\x02\x00\x03",  # PUBACK of the ack
    ])
    link.channel.io = conn.io
    assert link.poll(1) == 1 and link.error is None
    assert statuses == [{"sid": "SM1", "status": "delivered"}]
    connect, subscribe, hello, puback, ack = conn.written
    assert connect == mqtt._packet(0x10, b"\x00\x04MQTT\x04\xee\x00\x3c" + mqtt._str("dev-1")
                                   + mqtt._str("utw/v1/dev-1/presence")
                                   + mqtt._str('{"online": false}') + mqtt._str("dev-1")
                                   + mqtt._str("tok"))
    assert subscribe == mqtt._packet(0x82, b"\x00\x01" + mqtt._str("utw/v1/dev-1/cmd") + b"\x01"
                                     + mqtt._str("utw/v1/dev-1/answer") + b"\x01")
    assert hello == mqtt._packet(0x33, mqtt._str("utw/v1/dev-1/presence") + b"\x00\x02"
                                 + b'{"online": true}')
    assert puback == b"\x40\x02\x00\x07"
    assert ack == mqtt._packet(0x32, mqtt._str("utw/v1/dev-1/ack") + b"\x00\x03"
                               + b'{"id": "CM1", "reply": "fan on"}')


def json_bytes(obj):
    import json

    return json.dumps(obj).encode()


@pytest.mark.parametrize("n, encoded", [(0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01"),
                                        (16383, b"\xff\x7f"), (16384, b"\x80\x80\x01")])
def test_remaining_lengths_are_varints(n, encoded):
    from utwilio import mqtt

    assert mqtt._packet(0x30, b"x" * n)[1:-n or None] == encoded


def test_a_refused_login_is_reported_with_the_reason():
    from utwilio.link import Link

    link = Link("mqtt://broker.local", "dev-1", "wrong")
    link.channel.conn = conn = ScriptedConn([b"\x20\x02\x00\x04"])
    link.channel.io = conn.io
    assert link.poll(0) == 0
    assert link.error == ("agent unreachable: the broker refused the login: bad user name or "
                          "password")
    assert link.failures == 1


@pytest.mark.parametrize("url, message", [
    ("mqtt://", "agent_url must look like mqtts://broker.example.com:8883"),
    ("mqtt://host:port", "agent_url must look like mqtts://broker.example.com:8883"),
    ("ws://broker.local", "agent_url must be an http(s):// URL (the agent) or an mqtt(s)://"),
])
def test_bad_broker_urls_say_what_to_fix(url, message, tmp_path, monkeypatch):
    from utwilio.link import Link

    monkeypatch.chdir(tmp_path)  # no ca.der here
    with pytest.raises(ValueError) as e:
        Link(url, "dev-1", "token")
    assert str(e.value).startswith(message)


def test_malformed_events_and_alerts_are_answered_400(mqtt_agent, broker):
    """A device's raw MQTT client (not utwilio's, which checks first) sends a non-JSON
    ack, an event without a name, an alert too long and an event whose data no store
    holds: the ack is ignored, the others are answered with status 400 and the error
    the same request gets over HTTP, on the device's answer topic."""
    import json

    import paho.mqtt.client as mqtt

    answers = []
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="greenhouse")
    c.username_pw_set("greenhouse", mqtt_agent.token)
    c.tls_set(ca_certs=str(broker.ca_pem))
    c.on_message = lambda cl, u, m: answers.append(json.loads(m.payload))
    c.connect("localhost", broker.port)
    c.loop_start()
    try:
        c.subscribe("utw/v1/greenhouse/answer", 1)
        time.sleep(0.5)
        c.publish("utw/v1/greenhouse/ack", b"not json", qos=1).wait_for_publish(5)
        c.publish("utw/v1/greenhouse/event", json.dumps({"name": "", "ref": 1}), qos=1)
        c.publish("utw/v1/greenhouse/alert", json.dumps({"message": "x" * 1601, "ref": 2}),
                  qos=1)
        c.publish("utw/v1/greenhouse/event", json.dumps(
            {"name": "soil", "data": {"note": "\u0000"}, "ref": 3}), qos=1)
        deadline = time.monotonic() + 10
        while len(answers) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        c.loop_stop()
        c.disconnect()
    answers.sort(key=lambda a: a["ref"])
    assert [(a["ref"], a["status"]) for a in answers] == [(1, 400), (2, 400), (3, 400)]
    assert answers[0]["body"]["error"].startswith("name must be")
    # refused by the agent's core (a BadRequest): the body is the HTTP one
    assert answers[2]["body"] == {"error": "data.note contains a NUL character (\\u0000): "
                                           "send valid Unicode text"}


def test_two_agents_split_the_acks_and_nothing_runs_twice(runtime, mqtt_agent, broker, sandbox,  # noqa: F811
                                                          background):  # noqa: F811
    """A second agent on the same store, with its own broker account: both publish
    heads, the acks go to one or the other ($share), each command runs once, in order."""
    second = with_mqtt(RealAgent(mqtt_agent.path.parent, sandbox.url), broker)
    broker.add_agent("utwilio-agent-2", "second-agent-password")
    second.environ = dict(second.environ, UTWILIO_MQTT_USERNAME="utwilio-agent-2",
                          UTWILIO_MQTT_PASSWORD="second-agent-password")
    second.start()
    try:
        device = background(runtime, "link_commands.py", device_args(mqtt_agent, broker))
        # Queued, not texted: a webhook's TwiML reply waits in the agent that took it,
        # and the ack may go to the other one (then the reply goes by REST).
        queue(mqtt_agent, "fan 1", *FANS)
        queue(mqtt_agent, "quit")
        out = device.result(timeout=150)
    finally:
        second.stop()
    assert out["ran"] == RAN
    assert out["error"] is None and out["failures"] == 0
    log = broker.log()
    assert "as utwilio-agent-2 " in log and "as utwilio-agent " in log
