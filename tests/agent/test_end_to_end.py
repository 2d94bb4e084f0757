"""The whole story on loopback sockets: a phone texts a sandbox number, the sandbox
calls the agent's webhook (signed), a device (a CPython client) long-polls the agent,
runs the command and acks it with a reply; the reply reaches the phone in the TwiML
answer (fast device) or through a REST send to the sandbox (slow device)."""

import threading

import pytest
from agenttest import (
    NUMBER,
    OWNER,
    DeviceClient,
    LiveAgent,
    make_config,
    phone_texts,
    point_number,
    post_sms,
    sandbox_messages,
    wait_until,
)
from utwilio_agent.config import Device


def live_config(sandbox, **agent):
    return make_config(twilio_base_url=sandbox.url, **agent)


@pytest.fixture
def device_thread():
    """Runs a device's polls in a background thread (the test thread plays the phone)."""
    threads = []

    def start(target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        threads.append(thread)
        return thread

    yield start
    for thread in threads:
        thread.join(30)


def replies_to_owner(sandbox, body):
    return [m for m in sandbox_messages(sandbox, OWNER) if m["body"] == body]


def test_a_fast_device_replies_in_the_twiml_answer(sandbox, device_thread):
    with LiveAgent(live_config(sandbox, reply_deadline=10.0)) as live:
        point_number(sandbox, NUMBER, live.url + "/twilio/sms")
        device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
        seen = []

        def run_device():
            while not seen:
                seen.extend(device.serve(lambda cmd: "fan is %s <&>" % cmd["args"], wait=10))

        device_thread(run_device)
        phone_texts(sandbox, OWNER, NUMBER, "fan on")
        (reply,) = wait_until(lambda: replies_to_owner(sandbox, "fan is on <&>"),
                              what="the reply SMS")
        assert reply["direction"] == "outbound-reply"  # from the TwiML answer, not REST
        assert reply["from"] == NUMBER
        assert [c["text"] for c in seen] == ["fan on"]
        # No acknowledgement SMS: the reply came within the deadline.
        assert replies_to_owner(sandbox, "Sent to greenhouse.") == []
        command = live.run(live.agent.store.command(seen[0]["id"]))
        assert (command.state, command.reply_route) == ("done", "twiml")
        device.close()


def test_a_slow_device_replies_by_rest_and_gets_the_delivery_status(sandbox):
    with LiveAgent(live_config(sandbox, reply_deadline=0.0)) as live:
        point_number(sandbox, NUMBER, live.url + "/twilio/sms")
        device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
        phone_texts(sandbox, OWNER, NUMBER, "status")
        wait_until(lambda: replies_to_owner(sandbox, "Sent to greenhouse."),
                   what="the acknowledgement")
        cmds = device.serve(lambda cmd: "all fine, 21.5C", wait=10)
        assert [c["text"] for c in cmds] == ["status"]
        (reply,) = wait_until(lambda: replies_to_owner(sandbox, "all fine, 21.5C"),
                              what="the reply sent by REST")
        assert reply["direction"] == "outbound-api" and reply["from"] == NUMBER
        # The sandbox's status callbacks reach the agent, which forwards them.
        statuses = []

        def delivered():
            statuses.extend(device.poll(0).get("statuses", []))
            return any(s["status"] == "delivered" for s in statuses)

        wait_until(delivered, what="the delivered status at the device")
        assert {s["sid"] for s in statuses} == {reply["sid"]}
        assert {s["kind"] for s in statuses} == {"reply"}
        assert statuses[0]["command_id"] == cmds[0]["id"]
        device.close()


def test_a_waiting_poll_wakes_when_a_command_is_stored(sandbox, device_thread):
    with LiveAgent(live_config(sandbox)) as live:
        device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
        got = []
        thread = device_thread(lambda: got.append(device.poll(30)))
        wait_until(lambda: "greenhouse" in live.agent._polls, what="the poll to wait")
        assert post_sms(live.url, "fan on").status_code == 200
        thread.join(30)
        # Had the poll not been woken it would have answered [] after 30 s.
        assert [c["text"] for c in got[0]["commands"]] == ["fan on"]
        device.close()


def test_an_expired_command_is_reported_to_its_sender(sandbox):
    config = live_config(sandbox)
    config.devices["greenhouse"] = Device("greenhouse", numbers=[NUMBER], allow=[OWNER], ttl=1)
    with LiveAgent(config) as live:
        assert post_sms(live.url, "fan on").status_code == 200
        notice = "Your command 'fan on' for greenhouse expired: it was not picked up within 1 s."
        (sms,) = wait_until(lambda: replies_to_owner(sandbox, notice), what="the expiry notice")
        assert sms["from"] == NUMBER


def test_alerts_are_texted_to_the_contacts_and_cool_down(sandbox):
    config = live_config(sandbox)
    config.devices["greenhouse"].contacts = [OWNER, "+15557654321"]
    with LiveAgent(config) as live:
        device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
        r = device.http.post(device.base + "/alerts", json={"message": "Greenhouse hot: 36.2C",
                                                            "key": "hot"})
        assert r.status_code == 202, r.text
        sids = r.json()["sent"]
        sent = [m for m in sandbox_messages(sandbox) if m["body"] == "Greenhouse hot: 36.2C"]
        assert sorted(m["sid"] for m in sent) == sorted(sids)
        assert sorted(m["to"] for m in sent) == sorted([OWNER, "+15557654321"])
        assert {m["from"] for m in sent} == {NUMBER}
        again = device.http.post(device.base + "/alerts", json={"message": "still hot",
                                                                "key": "hot"})
        assert again.status_code == 429
        assert 0 < again.json()["retry_after"] <= 300
        statuses = []

        def delivered():
            statuses.extend(device.poll(0).get("statuses", []))
            return {s["sid"] for s in statuses if s["status"] == "delivered"} == set(sids)

        wait_until(delivered, what="both alerts delivered, as the device hears it")
        device.close()


def test_twilio_refusals_are_passed_to_the_device(sandbox):
    config = live_config(sandbox)
    config.devices["greenhouse"].contacts = ["+15005550004"]  # replied STOP: error 21610
    with LiveAgent(config) as live:
        device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
        r = device.http.post(device.base + "/alerts", json={"message": "hot"})
        assert r.status_code == 502
        assert r.json()["failed"][0]["code"] == 21610
        # The refused alert does not count against the cool-down.
        config.devices["greenhouse"].contacts = [OWNER]
        r = device.http.post(device.base + "/alerts", json={"message": "hot"})
        assert r.status_code == 202
        device.close()


def test_alerts_are_rate_limited_per_device(sandbox):
    config = live_config(sandbox)
    config.devices["greenhouse"].alerts_per_hour = 2
    with LiveAgent(config) as live:
        device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
        codes = [device.http.post(device.base + "/alerts", json={"message": "m%d" % i}).status_code
                 for i in range(3)]
        assert codes == [202, 202, 429]
        device.close()


def test_a_reply_after_the_deadline_goes_by_rest(sandbox):
    with LiveAgent(live_config(sandbox, reply_deadline=0.5)) as live:
        point_number(sandbox, NUMBER, live.url + "/twilio/sms")
        device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
        phone_texts(sandbox, OWNER, NUMBER, "water")
        # The webhook waited its half second, then answered with the acknowledgement.
        wait_until(lambda: replies_to_owner(sandbox, "Sent to greenhouse."),
                   what="the acknowledgement")
        cmds = device.serve(lambda cmd: "watered", wait=10)
        assert [c["text"] for c in cmds] == ["water"]
        (reply,) = wait_until(lambda: replies_to_owner(sandbox, "watered"), what="the reply")
        assert reply["direction"] == "outbound-api"
        command = live.run(live.agent.store.command(cmds[0]["id"]))
        assert command.reply_route == "rest"
        device.close()


def test_replies_refused_with_429_are_sent_again_after_retry_after():
    from utwilio_sandbox.server import SandboxServer

    with SandboxServer(step_seconds=3600, rate_limit=1) as limited:
        with LiveAgent(live_config(limited)) as live:
            device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
            for i in range(3):
                assert post_sms(live.url, "job %d" % i).status_code == 200
            cmds = device.serve(lambda cmd: "done " + cmd["args"], wait=5)
            assert len(cmds) == 3
            # One send a second gets through; the others come back 429 with Retry-After: 1
            # and the outbox sends them again.
            wait_until(lambda: len([m for m in sandbox_messages(limited, OWNER)
                                    if m["body"].startswith("done")]) == 3,
                       what="all three replies, rate limit and all")
            overview = live.run(live.agent.overview())
            replies = [m for m in overview["messages"] if m.kind == "reply"]
            assert {m.state for m in replies} == {"sent"}
            assert max(m.attempts for m in replies) >= 2  # at least one was refused first
            device.close()


def test_the_device_library_link_talks_to_the_agent(sandbox, device_thread):
    """utwilio.link.Link (the device package, here on CPython) against the real agent:
    the contract of PROTOCOL.md from both ends."""
    from utwilio.link import Link

    with LiveAgent(live_config(sandbox, reply_deadline=10.0)) as live:
        point_number(sandbox, NUMBER, live.url + "/twilio/sms")
        link = Link(live.url, "greenhouse", live.add_device("greenhouse"), wait=10)
        link.on("fan", lambda args: "fan is " + args)
        done = []
        device_thread(lambda: done.append(link.poll(10)))
        wait_until(lambda: "greenhouse" in live.agent._polls, what="the link's long-poll")
        phone_texts(sandbox, OWNER, NUMBER, "Fan on")
        wait_until(lambda: replies_to_owner(sandbox, "fan is on"), what="the reply SMS")
        assert wait_until(lambda: done) == [1] and link.error is None
        assert link.send("boot", {"fw": "1.0"}).startswith("EV")
        assert link.alert("Greenhouse hot") and link.alert("Greenhouse hot") is None
        assert "cooling down" in link.error
