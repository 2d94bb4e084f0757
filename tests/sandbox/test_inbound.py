"""A phone texts a sandbox number: the webhook goes out as Twilio sends it, and the
TwiML reply comes back to the phone as SMS."""

import httpx
from twilio.request_validator import RequestValidator
from utwilio_sandbox.clients import twilio_client
from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

PHONE = "+15551234567"
NUMBER = "+15005550006"
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response>%s</Response>'
XML = "application/xml"


def configure(server, **urls):
    client = twilio_client(server.url)
    number = client.incoming_phone_numbers.list(phone_number=NUMBER)[0]
    return number.update(**urls)


def text(server, body, sender=PHONE, to=NUMBER):
    response = httpx.post(
        server.url + "/sandbox/phone/messages", data={"From": sender, "To": to, "Body": body}
    )
    assert response.status_code == 201, response.text
    return response.json()


def replies_to(server, phone=PHONE):
    messages = httpx.get(server.url + "/sandbox/messages").json()["messages"]
    return [m for m in messages if m["to"] == phone and m["direction"] == "outbound-reply"]


def alerts(server):
    return httpx.get(server.url + "/sandbox/alerts").json()["alerts"]


def test_webhook_carries_every_parameter_and_a_valid_signature(fast, receiver, wait):
    receiver.replies["/sms"] = [(200, TWIML % "<Message>You said: fan on</Message>", XML)]
    configure(fast, sms_url=receiver.url + "/sms")
    inbound = text(fast, "fan on")
    assert inbound["direction"] == "inbound" and inbound["status"] == "received"
    (call,) = receiver.wait_for(1, "/sms")
    form = dict(call["form"])
    for name in (
        "ToCountry",
        "ToState",
        "SmsMessageSid",
        "NumMedia",
        "ToCity",
        "FromZip",
        "SmsSid",
        "FromState",
        "SmsStatus",
        "FromCity",
        "Body",
        "FromCountry",
        "To",
        "ToZip",
        "NumSegments",
        "MessageSid",
        "AccountSid",
        "From",
        "ApiVersion",
    ):
        assert name in form, name
    assert form["MessageSid"] == form["SmsSid"] == inbound["sid"]
    assert (form["From"], form["To"], form["Body"]) == (PHONE, NUMBER, "fan on")
    assert (form["SmsStatus"], form["NumMedia"], form["AccountSid"]) == (
        "received",
        "0",
        DEFAULT_ACCOUNT_SID,
    )
    assert call["headers"]["i-twilio-idempotency-token"]
    assert RequestValidator(DEFAULT_AUTH_TOKEN).validate(
        call["url"], form, call["headers"]["x-twilio-signature"]
    )
    reply = wait(lambda: replies_to(fast), what="the TwiML reply")[0]
    assert (reply["from"], reply["body"]) == (NUMBER, "You said: fan on")
    wait(lambda: replies_to(fast)[0]["status"] == "delivered", what="the reply's delivery")


def test_each_message_verb_becomes_an_sms_with_media(fast, receiver, wait):
    receiver.replies["/sms"] = [
        (
            200,
            TWIML
            % (
                "<Message>one &amp; done</Message>"
                "<Message><Body>two</Body><Media>https://example.test/p.jpg</Media></Message>"
            ),
            XML,
        )
    ]
    configure(fast, sms_url=receiver.url + "/sms")
    text(fast, "status")
    replies = wait(lambda: len(replies_to(fast)) == 2 and replies_to(fast), what="two replies")
    assert [(r["body"], r["num_media"]) for r in replies] == [("one & done", "0"), ("two", "1")]


def test_malformed_twiml_is_reported_as_12100(fast, receiver, wait):
    receiver.replies["/sms"] = [(200, "<Response><Message>oops</Response>", XML)]
    configure(fast, sms_url=receiver.url + "/sms")
    inbound = text(fast, "hello")
    alert = wait(lambda: alerts(fast), what="an alert")[0]
    assert (alert["error_code"], alert["log_level"]) == ("12100", "error")
    assert alert["resource_sid"] == inbound["sid"]
    assert replies_to(fast) == []
    listed = twilio_client(fast.url).monitor.v1.alerts.list()
    assert [a.error_code for a in listed] == ["12100"]


def test_fallback_url_gets_the_error_and_its_reply_is_used(fast, receiver, wait):
    receiver.replies["/broken"] = [(500, "boom", "text/plain")]
    receiver.replies["/fallback"] = [(200, TWIML % "<Message>from fallback</Message>", XML)]
    configure(fast, sms_url=receiver.url + "/broken", sms_fallback_url=receiver.url + "/fallback")
    text(fast, "hi")
    (call,) = receiver.wait_for(1, "/fallback")
    form = dict(call["form"])
    assert form["ErrorCode"] == "11200" and form["ErrorUrl"].endswith("/broken")
    assert wait(lambda: replies_to(fast), what="the fallback reply")[0]["body"] == "from fallback"
    assert [a["error_code"] for a in alerts(fast)] == ["11200"]


def test_retries_follow_the_url_fragment_with_the_same_token(fast, receiver, wait):
    receiver.replies["/flaky"] = [
        (503, "", "text/plain"),
        (503, "", "text/plain"),
        (200, TWIML % "<Message>third time</Message>", XML),
    ]
    configure(fast, sms_url=receiver.url + "/flaky#rc=2&rp=5xx")
    text(fast, "hi")
    calls = receiver.wait_for(3, "/flaky")
    tokens = {c["headers"]["i-twilio-idempotency-token"] for c in calls}
    assert len(tokens) == 1
    assert len({dict(c["form"])["MessageSid"] for c in calls}) == 1
    assert wait(lambda: replies_to(fast), what="the reply")[0]["body"] == "third time"


def test_default_policy_does_not_retry_an_http_error(fast, receiver, wait):
    receiver.replies["/down"] = [
        (500, "", "text/plain"),
        (200, TWIML % "<Message>x</Message>", XML),
    ]
    configure(fast, sms_url=receiver.url + "/down")
    text(fast, "hi")
    wait(lambda: alerts(fast), what="the 11200 alert")
    assert len(receiver.wait_for(1, "/down")) == 1 and replies_to(fast) == []


def test_a_slow_webhook_times_out_per_the_read_timeout_override(fast, receiver, wait):
    receiver.replies["/slow"] = [(200, TWIML % "<Message>late</Message>", XML, 1.0)]
    configure(fast, sms_url=receiver.url + "/slow#rt=100&rc=0")
    text(fast, "hi")
    alert = wait(lambda: alerts(fast), what="the timeout alert")[0]
    assert alert["error_code"] == "11205"
    assert replies_to(fast) == []


def test_stop_opts_the_phone_out_until_start(fast, wait):
    client = twilio_client(fast.url)
    text(fast, "STOP")
    wait(lambda: replies_to(fast), what="the opt-out confirmation")
    try:
        client.messages.create(to=PHONE, from_=NUMBER, body="alert")
        raise AssertionError("sending to an opted-out phone must fail")
    except Exception as error:  # TwilioRestException
        assert error.code == 21610
    text(fast, "START")
    assert client.messages.create(to=PHONE, from_=NUMBER, body="alert").status == "queued"


def test_texting_a_number_nobody_owns_is_refused(fast):
    response = httpx.post(
        fast.url + "/sandbox/phone/messages",
        data={"From": PHONE, "To": "+15550009999", "Body": "hi"},
    )
    assert response.status_code == 400 and response.json()["code"] == 21606


def test_whatsapp_messages_carry_profile_and_wa_id(fast, receiver, wait):
    receiver.replies["/sms"] = [(200, TWIML % "<Message>hola</Message>", XML)]
    configure(fast, sms_url=receiver.url + "/sms")
    text(fast, "hi", sender="whatsapp:" + PHONE, to="whatsapp:" + NUMBER)
    form = dict(receiver.wait_for(1, "/sms")[0]["form"])
    assert form["WaId"] == PHONE[1:] and form["From"] == "whatsapp:" + PHONE
    reply = wait(lambda: replies_to(fast, "whatsapp:" + PHONE), what="the WhatsApp reply")[0]
    assert reply["from"] == "whatsapp:" + NUMBER
