"""Two agents (in this process, on loopback sockets) on one PostgreSQL database: what
one accepts wakes a poll the other holds, through NOTIFY and not the 1 s tick; an
ack that reaches the other agent still rides in the webhook's TwiML answer."""

import threading

import pytest
from agenttest import NUMBER, OWNER, DeviceClient, LiveAgent, make_config, post_sms, wait_until
from utwilio_agent import housekeeping


@pytest.fixture
def two_agents(store_kind, monkeypatch):
    if store_kind != "postgres":
        pytest.skip("several agents share a PostgreSQL database")
    # No tick fallback during the test: only NOTIFY can wake the other agent.
    monkeypatch.setattr(housekeeping, "TICK", 3600.0)
    a, b = LiveAgent(make_config(reply_deadline=10.0)), LiveAgent(make_config())
    with a, b:
        yield a, b


def test_a_command_accepted_by_one_agent_wakes_the_poll_held_by_the_other(two_agents):
    a, b = two_agents
    token = a.add_device("greenhouse")
    wait_until(lambda: "greenhouse" in b.agent.tokens, what="b to learn of the device")
    device = DeviceClient(b.url, "greenhouse", token)
    got = []
    poll = threading.Thread(target=lambda: got.append(device.poll(wait=30)))
    poll.start()
    wait_until(lambda: "greenhouse" in b.agent._polls, what="the poll to wait at b")
    a.config.reply_deadline = 0.0
    assert post_sms(a.url, "fan on").status_code == 200
    poll.join(20)
    assert [c["text"] for c in got[0]["commands"]] == ["fan on"]
    device.close()


def test_an_ack_at_the_other_agent_rides_in_the_webhooks_twiml(two_agents):
    a, b = two_agents
    token = a.add_device("greenhouse")
    wait_until(lambda: "greenhouse" in b.agent.tokens, what="b to learn of the device")
    device = DeviceClient(b.url, "greenhouse", token)
    answer = []
    webhook = threading.Thread(target=lambda: answer.append(post_sms(a.url, "status")))
    webhook.start()
    cmds = device.serve(lambda cmd: "all well", wait=10)
    webhook.join(20)
    assert [c["text"] for c in cmds] == ["status"]
    assert answer[0].status_code == 200
    assert "<Message>all well</Message>" in answer[0].text
    command = a.run(a.agent.store.command(cmds[0]["id"]))
    assert command.reply_route == "twiml"
    assert command.sender == OWNER and command.number == NUMBER
    device.close()


def test_presence_is_merged_across_agents(two_agents):
    a, b = two_agents
    token = a.add_device("greenhouse")
    wait_until(lambda: "greenhouse" in b.agent.tokens, what="b to learn of the device")
    device = DeviceClient(b.url, "greenhouse", token)
    device.poll(wait=0)
    b.run(b.agent._flush_seen())  # what the tick does every SEEN_FLUSH ticks
    (seen,) = [d for d in a.run(a.agent.overview())["devices"] if d["id"] == "greenhouse"]
    assert seen["online"] and seen["last_seen"] is not None
    device.close()
