"""Outbound messages move on by themselves and report each step, signed."""

import httpx
import pytest
from twilio.request_validator import RequestValidator
from utwilio_sandbox.clients import twilio_client
from utwilio_sandbox.settings import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    DEFAULT_MESSAGING_SERVICE_SID,
)

AUTH = (DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
MESSAGES = "/2010-04-01/Accounts/%s/Messages.json" % DEFAULT_ACCOUNT_SID
SERVICE = DEFAULT_MESSAGING_SERVICE_SID


def send(server, **fields):
    data = {"To": "+15551234567", "From": "+15005550006", "Body": "Fan on"}
    data.update(fields)
    response = httpx.post(server.url + MESSAGES, data=data, auth=AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def fetch(server, sid):
    return httpx.get(server.url + MESSAGES.replace(".json", "/%s.json" % sid), auth=AUTH).json()


def statuses(requests):
    return [dict(r["form"])["MessageStatus"] for r in requests]


def test_status_callbacks_report_each_step_and_validate(fast, receiver):
    message = send(fast, StatusCallback=receiver.url + "/status?device=7")
    calls = receiver.wait_for(3, "/status")
    assert statuses(calls) == ["sending", "sent", "delivered"]
    validator = RequestValidator(DEFAULT_AUTH_TOKEN)
    for call in calls:
        form = dict(call["form"])
        assert form["MessageSid"] == form["SmsSid"] == message["sid"]
        assert form["AccountSid"] == DEFAULT_ACCOUNT_SID and form["ApiVersion"] == "2010-04-01"
        assert (form["From"], form["To"]) == ("+15005550006", "+15551234567")
        assert call["headers"]["content-type"].startswith("application/x-www-form-urlencoded")
        assert call["headers"]["i-twilio-idempotency-token"]
        assert validator.validate(call["url"], form, call["headers"]["x-twilio-signature"])
        assert not validator.validate(
            call["url"], dict(form, Body="forged"), call["headers"]["x-twilio-signature"]
        )
    done = fetch(fast, message["sid"])
    assert done["status"] == "delivered"
    assert done["date_sent"] is not None and done["price"] == "-0.00790"


@pytest.mark.parametrize(
    "to, steps, code",
    [
        ("+15005550010", ["sending", "sent", "undelivered"], 30003),
        ("+15005550011", ["sending", "failed"], 30001),
    ],
)
def test_numbers_configured_to_fail_end_failed_or_undelivered(fast, receiver, to, steps, code):
    message = send(fast, To=to, StatusCallback=receiver.url + "/status")
    calls = receiver.wait_for(len(steps), "/status")
    assert statuses(calls) == steps
    assert dict(calls[-1]["form"])["ErrorCode"] == str(code)
    final = fetch(fast, message["sid"])
    assert (final["status"], final["error_code"]) == (steps[-1], code)
    assert final["error_message"]


def test_a_message_without_callback_is_still_delivered(fast, wait):
    sid = send(fast)["sid"]
    wait(lambda: fetch(fast, sid)["status"] == "delivered", what="delivery")


def test_scheduled_message_waits_for_its_time(fast, wait):
    send_at = "2099-01-01T00:00:00Z"
    too_far = httpx.post(
        fast.url + MESSAGES,
        auth=AUTH,
        data={
            "To": "+15551234567",
            "MessagingServiceSid": SERVICE,
            "Body": "later",
            "SendAt": send_at,
            "ScheduleType": "fixed",
        },
    )
    assert too_far.json()["code"] == 35114
    import datetime

    soon = datetime.datetime.fromtimestamp(
        fast.sandbox.scheduler.now() + 3600, datetime.timezone.utc
    )
    message = send(
        fast,
        From=None,
        MessagingServiceSid=SERVICE,
        Body="later",
        SendAt=soon.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ScheduleType="fixed",
    )
    assert message["status"] == "scheduled"
    assert fetch(fast, message["sid"])["status"] == "scheduled"
    assert httpx.post(fast.url + "/sandbox/clock", data={"Seconds": "3601"}).status_code == 200
    wait(lambda: fetch(fast, message["sid"])["status"] == "delivered", what="the scheduled send")


def test_scheduled_message_can_be_canceled(fast, wait):
    client = twilio_client(fast.url)
    import datetime

    soon = datetime.datetime.fromtimestamp(
        fast.sandbox.scheduler.now() + 3600, datetime.timezone.utc
    )
    message = client.messages.create(
        to="+15551234567",
        messaging_service_sid=SERVICE,
        body="later",
        send_at=soon,
        schedule_type="fixed",
    )
    assert message.status == "scheduled"
    assert client.messages(message.sid).update(status="canceled").status == "canceled"
    httpx.post(fast.url + "/sandbox/clock", data={"Seconds": "3601"})
    other = send(fast)  # a later message is delivered while the canceled one stays put
    wait(lambda: fetch(fast, other["sid"])["status"] == "delivered", what="the other message")
    assert client.messages(message.sid).fetch().status == "canceled"


def test_redact_and_delete_after_delivery(fast, wait):
    client = twilio_client(fast.url)
    message = client.messages.create(
        to="+15551234567",
        from_="+15005550006",
        body="secret",
        media_url=["https://example.test/cat.png"],
    )
    wait(lambda: client.messages(message.sid).fetch().status == "delivered", what="delivery")
    assert client.messages(message.sid).update(body="").body == ""
    media = client.messages(message.sid).media.list()
    assert [m.content_type for m in media] == ["image/png"]
    assert client.messages(message.sid).media(media[0].sid).fetch().parent_sid == message.sid
    assert client.messages(message.sid).media(media[0].sid).delete() is True
    assert client.messages(message.sid).media.list() == []
    assert client.messages(message.sid).delete() is True
    assert (
        httpx.get(
            fast.url + MESSAGES.replace(".json", "/%s.json" % message.sid), auth=AUTH
        ).status_code
        == 404
    )
