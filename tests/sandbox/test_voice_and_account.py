"""Calls, Recordings, Accounts, Keys, Tokens, Usage and Lookup through the official
Python client, over a real socket."""

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from utwilio_sandbox.clients import twilio_client
from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

TWIML = "<Response><Say>Greenhouse hot</Say><Record/></Response>"


def test_call_rings_answers_completes_and_reports_requested_events(fast, receiver, wait):
    client = twilio_client(fast.url)
    call = client.calls.create(
        to="+15551234567",
        from_="+15005550006",
        twiml=TWIML,
        status_callback=receiver.url + "/call",
        status_callback_event=["initiated", "ringing", "answered", "completed"],
    )
    assert call.sid.startswith("CA") and call.status == "queued"
    events = receiver.wait_for(4, "/call")
    assert [dict(e["form"])["CallStatus"] for e in events] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert [dict(e["form"])["SequenceNumber"] for e in events] == ["0", "1", "2", "3"]
    for event in events:
        assert RequestValidator(DEFAULT_AUTH_TOKEN).validate(
            event["url"], dict(event["form"]), event["headers"]["x-twilio-signature"]
        )
    done = client.calls(call.sid).fetch()
    assert done.status == "completed" and done.duration is not None
    recordings = wait(lambda: client.calls(call.sid).recordings.list(), what="the recording")
    assert recordings[0].call_sid == call.sid
    assert client.recordings(recordings[0].sid).fetch().status == "completed"
    assert [r.sid for r in client.recordings.list(call_sid=call.sid)] == [recordings[0].sid]
    assert client.recordings(recordings[0].sid).delete() is True
    assert client.recordings.list() == []
    assert [c.sid for c in client.calls.list(status="completed")] == [call.sid]
    assert client.calls.list(status="busy") == []
    assert client.calls(call.sid).delete() is True


def test_call_fetches_its_twiml_from_url_signed(fast, receiver):
    receiver.replies["/voice"] = [(200, "<Response><Say>hi</Say></Response>", "application/xml")]
    client = twilio_client(fast.url)
    call = client.calls.create(to="+15551234567", from_="+15005550006", url=receiver.url + "/voice")
    (request,) = receiver.wait_for(1, "/voice")
    form = dict(request["form"])
    assert (form["CallSid"], form["CallStatus"]) == (call.sid, "in-progress")
    assert RequestValidator(DEFAULT_AUTH_TOKEN).validate(
        request["url"], form, request["headers"]["x-twilio-signature"]
    )


@pytest.mark.parametrize(
    "to, outcome",
    [("+15005550020", "busy"), ("+15005550021", "no-answer"), ("+15005550022", "failed")],
)
def test_configured_callees_do_not_answer(fast, wait, to, outcome):
    client = twilio_client(fast.url)
    call = client.calls.create(to=to, from_="+15005550006", twiml=TWIML)
    wait(lambda: client.calls(call.sid).fetch().status == outcome, what=outcome)


def test_a_queued_call_can_be_canceled(live):
    client = twilio_client(live.url)  # steps take an hour here: the call stays queued
    call = client.calls.create(to="+15551234567", from_="+15005550006", twiml=TWIML)
    assert client.calls(call.sid).update(status="canceled").status == "canceled"
    with pytest.raises(TwilioRestException) as raised:
        client.calls(call.sid).update(status="canceled")
    assert raised.value.code == 21220


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"to": "+1555"}, 21211),
        ({"from_": "+15559999999"}, 21210),
        ({"twiml": None}, 21205),
    ],
)
def test_invalid_calls_get_twilio_errors(live, fields, code):
    arguments = {"to": "+15551234567", "from_": "+15005550006", "twiml": TWIML}
    arguments.update(fields)
    with pytest.raises(TwilioRestException) as raised:
        twilio_client(live.url).calls.create(**{k: v for k, v in arguments.items() if v})
    assert (raised.value.code, raised.value.status) == (code, 400)


def test_subaccounts_are_created_listed_and_scoped(live):
    client = twilio_client(live.url)
    me = client.api.v2010.accounts(DEFAULT_ACCOUNT_SID).fetch()
    assert me.status == "active" and me.auth_token == DEFAULT_AUTH_TOKEN
    sub = client.api.v2010.accounts.create(friendly_name="greenhouse")
    assert sub.sid.startswith("AC") and sub.owner_account_sid == DEFAULT_ACCOUNT_SID
    listed = {a.sid for a in client.api.v2010.accounts.list()}
    assert listed == {DEFAULT_ACCOUNT_SID, sub.sid}
    # The parent's credentials act on the subaccount; the subaccount's own work too.
    as_parent = twilio_client(live.url, account_sid=sub.sid)
    assert as_parent.messages.list() == []
    own = twilio_client(live.url, sub.sid, sub.auth_token)
    with pytest.raises(TwilioRestException) as raised:
        own.api.v2010.accounts(DEFAULT_ACCOUNT_SID).fetch()
    assert raised.value.status == 401
    client.api.v2010.accounts(sub.sid).update(status="suspended")
    with pytest.raises(TwilioRestException) as raised:
        own.calls.create(to="+15551234567", from_="+15005550006", twiml=TWIML)
    assert raised.value.code == 20003


def test_buy_a_number_and_point_it_at_a_url(live):
    client = twilio_client(live.url)
    offered = client.available_phone_numbers("US").local.list(area_code="415", limit=3)
    assert len(offered) == 3 and offered[0].phone_number.startswith("+1415")
    bought = client.incoming_phone_numbers.create(
        phone_number=offered[0].phone_number, sms_url="https://example.test/sms"
    )
    assert bought.sid.startswith("PN") and bought.sms_url == "https://example.test/sms"
    assert client.incoming_phone_numbers(bought.sid).fetch().phone_number == bought.phone_number
    with pytest.raises(TwilioRestException) as raised:
        client.incoming_phone_numbers.create(phone_number=bought.phone_number)
    assert raised.value.code == 21422
    assert len(client.incoming_phone_numbers.list()) == 3
    assert client.incoming_phone_numbers(bought.sid).delete() is True


def test_new_api_key_authenticates(live):
    client = twilio_client(live.url)
    key = client.new_keys.create(friendly_name="device")
    assert key.sid.startswith("SK") and key.secret
    with_key = twilio_client(live.url, key.sid, key.secret, account_sid=DEFAULT_ACCOUNT_SID)
    assert with_key.messages.create(to="+15551234567", from_="+15005550006", body="k").sid
    assert key.sid in {k.sid for k in client.keys.list()}
    assert client.keys(key.sid).delete() is True
    with pytest.raises(TwilioRestException) as raised:
        with_key.messages.create(to="+15551234567", from_="+15005550006", body="k")
    assert raised.value.code == 20003


def test_nts_token_has_ice_servers(live):
    token = twilio_client(live.url).tokens.create(ttl=3600)
    assert token.ttl == "3600" and token.username and token.password
    assert token.ice_servers[0]["urls"].startswith("stun:")


def test_usage_records_count_what_was_sent_and_a_trigger_fires(fast, receiver, wait):
    client = twilio_client(fast.url)
    trigger = client.usage.triggers.create(
        callback_url=receiver.url + "/usage",
        trigger_value="2",
        usage_category="sms",
        trigger_by="count",
    )
    assert trigger.sid.startswith("UT")
    for body in ("one", "two"):
        client.messages.create(to="+15551234567", from_="+15005550006", body=body)
    (fired,) = receiver.wait_for(1, "/usage")
    form = dict(fired["form"])
    assert (form["UsageTriggerSid"], form["UsageCategory"]) == (trigger.sid, "sms")
    assert float(form["CurrentValue"]) >= 2
    assert RequestValidator(DEFAULT_AUTH_TOKEN).validate(
        fired["url"], form, fired["headers"]["x-twilio-signature"]
    )
    records = {r.category: r for r in client.usage.records.list()}
    assert records["sms"].count == "2" and records["phonenumbers"].count == "2"
    assert client.usage.triggers(trigger.sid).fetch().date_fired is not None


def test_lookup_v2_validates_and_adds_fields(live):
    client = twilio_client(live.url)
    found = client.lookups.v2.phone_numbers("+15551234567").fetch(
        fields="line_type_intelligence,caller_name"
    )
    assert found.valid is True and found.country_code == "US"
    assert found.national_format == "(555) 123-4567"
    assert found.line_type_intelligence["type"] == "mobile"
    assert found.caller_name["caller_name"]
    invalid = client.lookups.v2.phone_numbers("+1555").fetch()
    assert invalid.valid is False and invalid.validation_errors == ["TOO_SHORT"]


def test_lookup_needs_credentials(live):
    response = httpx.get(live.url + "/v2/PhoneNumbers/+15551234567")
    assert response.status_code == 401 and response.json()["code"] == 20003
