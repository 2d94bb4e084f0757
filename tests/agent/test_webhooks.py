"""Twilio's webhooks to the agent, without sockets: signatures, routing, permissions,
idempotency, the queue cap, bad input, status callbacks."""

import os
from urllib.parse import urlencode

import pytest
from agenttest import (
    NUMBER,
    OTHER_NUMBER,
    OWNER,
    STRANGER,
    AppClient,
    make_config,
    signed,
    sms_params,
)
from utwilio_agent.app import create_app
from utwilio_agent.config import Device
from utwilio_sandbox.settings import DEFAULT_AUTH_TOKEN

DECL = '<?xml version="1.0" encoding="UTF-8"?>'


def twiml(text=None):
    return DECL + ("<Response><Message>%s</Message></Response>" % text if text else "<Response />")


def stored(client):
    return client.run(client.agent.overview())["commands"]


def test_a_signed_sms_is_stored_and_acknowledged_with_twiml(app_client):
    r = app_client.sms("fan on")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/xml")
    assert r.text == twiml("Sent to greenhouse.")
    (command,) = stored(app_client)
    assert (command.device, command.sender, command.number, command.name, command.args) == (
        "greenhouse", OWNER, NUMBER, "fan", "on")


def test_the_number_texted_names_the_device(app_client):
    app_client.sms("open", to=OTHER_NUMBER)
    assert [c.device for c in stored(app_client)] == ["garage"]


@pytest.mark.parametrize("change", ["forged", "missing", "other token", "other url", "tampered",
                                    "extra param"])
def test_a_webhook_without_a_valid_signature_is_403_and_stores_nothing(app_client, change):
    params = sms_params("fan on")
    url = "http://testserver/twilio/sms"
    token = "f" * 32 if change == "other token" else DEFAULT_AUTH_TOKEN
    body, headers = signed("http://evil.example/twilio/sms" if change == "other url" else url,
                           params, token)
    if change == "forged":
        headers["X-Twilio-Signature"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
    elif change == "missing":
        del headers["X-Twilio-Signature"]
    elif change == "tampered":
        body = urlencode(dict(params, Body="unlock door")).encode()
    elif change == "extra param":
        body = urlencode(dict(params, Extra="1")).encode()
    r = app_client.http.post("/twilio/sms", content=body, headers=headers)
    assert r.status_code == 403
    assert "X-Twilio-Signature" in r.json()["error"]
    assert stored(app_client) == []


def test_behind_a_proxy_the_signature_covers_the_public_url(clock):
    config = make_config(public_url="https://agent.example.com/base")
    with AppClient(create_app(config, clock=clock)) as client:
        params = sms_params("fan on")
        body, headers = signed("http://testserver/twilio/sms?x=1", params)
        r = client.http.post("/twilio/sms?x=1", content=body, headers=headers)
        assert r.status_code == 403  # signed for the URL the agent sees, not the public one
        body, headers = signed("https://agent.example.com/base/twilio/sms?x=1", params)
        r = client.http.post("/twilio/sms?x=1", content=body, headers=headers)
        assert r.status_code == 200
        assert len(stored(client)) == 1


def test_a_body_that_is_not_a_form_is_415(app_client):
    params = sms_params("fan on")
    body, headers = signed("http://testserver/twilio/sms", params)
    headers["Content-Type"] = "application/json"
    r = app_client.http.post("/twilio/sms", content=body, headers=headers)
    assert r.status_code == 415
    assert stored(app_client) == []


@pytest.mark.parametrize("missing", ["From", "To", "MessageSid"])
def test_a_signed_webhook_without_from_to_or_sid_is_400(app_client, missing):
    params = sms_params("fan on")
    params.pop(missing)
    if missing == "MessageSid":
        params.pop("SmsSid")
    body, headers = signed("http://testserver/twilio/sms", params)
    r = app_client.http.post("/twilio/sms", content=body, headers=headers)
    assert r.status_code == 400 and missing in r.json()["error"]
    assert stored(app_client) == []


def test_a_huge_body_is_413_whether_announced_or_streamed(app_client):
    big = b"Body=" + b"x" * 70000
    r = app_client.http.post("/twilio/sms", content=big,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413

    def chunks():
        for _ in range(70):
            yield b"x" * 1000

    r = app_client.http.post("/twilio/sms", content=chunks(),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert stored(app_client) == []


def test_an_unknown_sender_gets_silence_by_default_and_nothing_is_stored(app_client):
    r = app_client.sms("unlock", sender=STRANGER)
    assert r.status_code == 200 and r.text == twiml()
    assert stored(app_client) == []


def test_a_number_no_device_answers_at_is_named_and_nothing_is_stored(app_client):
    r = app_client.sms("fan on", to="+15005550099")
    assert r.text == twiml("No device answers at +15005550099.")
    assert stored(app_client) == []


def test_the_reply_to_unknown_senders_is_configurable(clock):
    config = make_config(unknown_sender_reply="This number is private.")
    with AppClient(create_app(config, clock=clock)) as client:
        assert client.sms("unlock", sender=STRANGER).text == twiml("This number is private.")
        assert stored(client) == []


def test_a_sender_allowed_on_one_device_may_not_command_another(clock):
    config = make_config()
    config.devices["garage"].allow.append(STRANGER)
    with AppClient(create_app(config, clock=clock)) as client:
        r = client.sms("fan on", sender=STRANGER, to=NUMBER)
        assert r.text == twiml("You may not command greenhouse.")
        assert client.sms("open", sender=STRANGER, to=OTHER_NUMBER).text == twiml(
            "Sent to garage.")
        assert [c.device for c in stored(client)] == ["garage"]


def test_prefix_routing(clock):
    config = make_config(routing="prefix")
    with AppClient(create_app(config, clock=clock)) as client:
        assert client.sms("garage: open door").text == twiml("Sent to garage.")
        assert client.sms("  Greenhouse :fan on").text == twiml("Sent to greenhouse.")
        r = client.sms("fan on")
        assert r.text == twiml("Start with a device name, like 'garage: status'. "
                               "Yours: garage, greenhouse.")
        assert "Yours" in client.sms("cellar: light on").text
        assert client.sms("garage:").text == twiml(
            "Send a command for garage, like 'garage: status'.")
        assert [(c.device, c.text) for c in stored(client)] == [
            ("greenhouse", "fan on"), ("garage", "open door")]


def test_an_empty_command_is_not_stored(app_client):
    r = app_client.sms("   ")
    assert r.text == twiml("Send a command for greenhouse, like 'status'.")
    assert stored(app_client) == []


def test_twilio_retries_create_no_second_command(app_client):
    params = sms_params("fan on")
    body, headers = signed("http://testserver/twilio/sms", params, idempotency="idem-1")
    for _ in range(3):
        r = app_client.http.post("/twilio/sms", content=body, headers=headers)
        assert r.status_code == 200 and r.text == twiml("Sent to greenhouse.")
    # The same idempotency token with another MessageSid is the same webhook too.
    other = dict(params, MessageSid="SM" + os.urandom(16).hex())
    body, headers = signed("http://testserver/twilio/sms", other, idempotency="idem-1")
    assert app_client.http.post("/twilio/sms", content=body, headers=headers).status_code == 200
    assert len(stored(app_client)) == 1


def test_a_full_queue_refuses_the_newest_command_and_keeps_the_old(clock):
    config = make_config()
    config.devices["greenhouse"] = Device("greenhouse", numbers=[NUMBER], allow=[OWNER],
                                          queue_cap=2)
    with AppClient(create_app(config, clock=clock)) as client:
        client.sms("one")
        client.sms("two")
        r = client.sms("three")
        assert r.status_code == 200
        assert r.text == twiml("greenhouse is busy: 2 commands are waiting. Try again later.")
        assert [c.text for c in stored(client)] == ["two", "one"]
        clock.now += 3601  # expired commands no longer count
        assert client.sms("four").text == twiml("Sent to greenhouse.")


def test_the_acknowledgement_is_configurable_and_may_be_silent(clock):
    with AppClient(create_app(make_config(acknowledgement=""), clock=clock)) as client:
        assert client.sms("fan on").text == twiml()
        assert len(stored(client)) == 1


def status_params(sid, status, **extra):
    return dict({"MessageSid": sid, "MessageStatus": status, "SmsSid": sid, "SmsStatus": status,
                 "AccountSid": "AC" + "0" * 31 + "1", "To": OWNER, "From": NUMBER}, **extra)


def post_status(client, params):
    body, headers = signed("http://testserver/twilio/status", params)
    return client.http.post("/twilio/status", content=body, headers=headers)


def test_status_callbacks_are_recorded_and_forwarded_to_the_device_that_asked(app_client):
    from utwilio_agent.store import Message

    token = app_client.add_device("greenhouse")
    message = app_client.run(app_client.agent.store.add_message(
        Message(None, "greenhouse", "alert", OWNER, NUMBER, "hot", "sent", 1.0)))
    app_client.run(app_client.agent.store.message_sent(message.id, "SM" + "a" * 32, "queued", 2.0))
    assert post_status(app_client, status_params("SM" + "a" * 32, "sent")).status_code == 204
    assert post_status(app_client, status_params(
        "SM" + "a" * 32, "undelivered", ErrorCode="30003")).status_code == 204
    assert post_status(app_client, status_params("SM" + "a" * 32, "sent")).status_code == 204
    (recorded,) = app_client.run(app_client.agent.overview())["messages"]
    assert (recorded.status, recorded.error_code) == ("undelivered", 30003)  # never backwards
    r = app_client.link(token, "greenhouse", "GET", "/commands?wait=0")
    assert r.json()["commands"] == []
    assert [(s["sid"], s["status"], s["error_code"], s["kind"]) for s in r.json()["statuses"]] == [
        ("SM" + "a" * 32, "sent", None, "alert"),
        ("SM" + "a" * 32, "undelivered", 30003, "alert"),
        ("SM" + "a" * 32, "sent", None, "alert"),
    ]
    # Forwarded once.
    assert "statuses" not in app_client.link(token, "greenhouse", "GET", "/commands?wait=0").json()


def test_a_status_callback_for_an_unknown_message_is_accepted_and_ignored(app_client):
    assert post_status(app_client, status_params("SM" + "b" * 32, "delivered")).status_code == 204
    assert app_client.run(app_client.agent.overview())["messages"] == []


@pytest.mark.parametrize("params", [{"MessageSid": "SM1"}, {"MessageStatus": "sent"},
                                    {"MessageSid": "SM1", "MessageStatus": "sent",
                                     "ErrorCode": "x"}])
def test_a_malformed_status_callback_is_400(app_client, params):
    assert post_status(app_client, params).status_code == 400


def test_a_forged_status_callback_is_403(app_client):
    body, headers = signed("http://testserver/twilio/status", status_params("SM1", "sent"))
    headers["X-Twilio-Signature"] = "x"
    r = app_client.http.post("/twilio/status", content=body, headers=headers)
    assert r.status_code == 403
