"""The device link (utwilio.link) against a fake agent over real sockets, on CPython
and the MicroPython VM; then the pure logic (backoff, the ring, input checks)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from devicevm import result
from linkserver import SENDER, FakeAgent

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
    background(runtime, script, args) -> a future of its RESULT."""
    with ThreadPoolExecutor(2) as pool:
        yield lambda *a, **kw: pool.submit(result, *a, **kw)


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
    out = device.result(timeout=60)
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
    out = device.result(timeout=60)
    assert out["ran"][:2] == [["fan", "on"], ["quit", ""]]
    assert agent.replies()[fan] == ["fan on"]
    assert out["error"] is None and out["failures"] == 0


ROUNDS = 40
FULL = 17  # rounds after which the ring of recent command ids (16) is full: heap is flat
HEAP = 128 * 1024  # the scripts are compiled from source on the VM (asyncio needs more)
SLACK = 512  # bytes; a leaked socket, response or exception chain costs more per round


@pytest.mark.parametrize("use_async", [False, True], ids=["blocking", "async"])
def test_outages_are_survived_without_leaks(runtime, agent, use_async):
    """Each round: connections refused three times, reset three times, then a command
    served. Heap in use and open descriptors once the ring is full, and at the end."""
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
