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
