"""Structured logs: one JSON object per line; tokens never, message texts only at debug."""

import json

import pytest
from utwilio_agent import logs

ONE_STORE = True  # never touches a store


@pytest.mark.parametrize("level", ["info", "debug"])
def test_tokens_and_texts_stay_out_of_info_logs(app_client, capsys, level):
    logs.setup(level)
    try:
        token = app_client.add_device("greenhouse")
        app_client.sms("unlock door 4321")
        cmd = app_client.link(token, "greenhouse", "GET", "/commands?wait=0").json()["commands"][0]
        app_client.link(token, "greenhouse", "POST", "/commands/%s/ack" % cmd["id"],
                        json={"reply": "door unlocked 4321"})
        app_client.link(token, "greenhouse", "POST", "/events", json={"name": "boot"})
    finally:
        logs.LOGGER.handlers[:] = []
        logs.LOGGER.propagate = True
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    events = [line["event"] for line in lines]
    assert {"command.accepted", "commands.delivered", "command.acked", "device.event"} <= set(
        events)
    text = "\n".join(json.dumps(line) for line in lines)
    assert token not in text
    if level == "info":
        assert "4321" not in text
    else:
        assert "unlock door 4321" in text and "door unlocked 4321" in text
