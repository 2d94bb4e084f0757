"""No SMS sent twice: a REST send whose answer was lost after the request reached
Twilio (here the sandbox, behind a proxy that resets the connection once the sandbox
has answered) is not repeated blindly: the agent asks Twilio first and records the
message it finds. Replies (the outbox) and alerts alike, on both stores."""

from agenttest import (
    OWNER,
    DeviceClient,
    LiveAgent,
    make_config,
    post_sms,
    sandbox_messages,
    wait_until,
)
from cutproxy import CutProxy


def test_replies_whose_answer_was_cut_are_found_at_twilio_not_sent_again(sandbox):
    with CutProxy(sandbox.port) as proxy, \
            LiveAgent(make_config(twilio_base_url=proxy.url)) as live:
        device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
        proxy.script = ["cut"] * 12  # the first twelve requests to Twilio lose their answer
        for i in range(8):
            assert post_sms(live.url, "job %d" % i).status_code == 200
        cmds = []
        while len(cmds) < 8:
            cmds += device.serve(lambda cmd: "done " + cmd["args"], wait=5)

        def settled():
            replies = [m for m in live.run(live.agent.overview())["messages"]
                       if m.kind == "reply"]
            return len(replies) == 8 and all(m.state == "sent" for m in replies) and replies

        replies = wait_until(settled, timeout=60, what="every reply recorded as sent")
        texts = [m["body"] for m in sandbox_messages(sandbox, OWNER)]
        assert sorted(texts) == sorted("done %d" % i for i in range(8))  # each once
        sids = {m["sid"] for m in sandbox_messages(sandbox, OWNER)}
        assert {m.sid for m in replies} == sids
        assert proxy.actions.count("cut") == 12
        device.close()


def test_an_alert_whose_answer_was_cut_is_found_at_twilio_and_reported_sent(sandbox):
    with CutProxy(sandbox.port) as proxy, \
            LiveAgent(make_config(twilio_base_url=proxy.url)) as live:
        device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
        proxy.script = ["cut"]
        r = device.http.post(device.base + "/alerts", json={"message": "Greenhouse hot"})
        assert r.status_code == 202, r.text
        (sent,) = sandbox_messages(sandbox, OWNER)
        assert r.json() == {"sent": [sent["sid"]]} and sent["body"] == "Greenhouse hot"
        device.close()


def test_replies_whose_answer_came_too_late_are_found_at_twilio_not_sent_again(sandbox):
    """Twilio answers slowly: the agent's request times out after the message was made."""
    from utwilio_agent.twilio_rest import TwilioRest

    with CutProxy(sandbox.port) as proxy:
        live = LiveAgent(make_config(twilio_base_url=proxy.url))
        live.agent.rest = TwilioRest(proxy.url, sandbox.settings.account_sid,
                                     sandbox.settings.auth_token, timeout=0.5)
        with live:
            device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
            proxy.script = ["slow"] * 3
            for i in range(3):
                assert post_sms(live.url, "job %d" % i).status_code == 200
            cmds = []
            while len(cmds) < 3:
                cmds += device.serve(lambda cmd: "done " + cmd["args"], wait=5)

            def settled():
                replies = [m for m in live.run(live.agent.overview())["messages"]
                           if m.kind == "reply"]
                return len(replies) == 3 and all(m.state == "sent" for m in replies)

            wait_until(settled, timeout=60, what="every reply recorded as sent")
            texts = [m["body"] for m in sandbox_messages(sandbox, OWNER)]
            assert sorted(texts) == ["done 0", "done 1", "done 2"]  # each once
            device.close()
