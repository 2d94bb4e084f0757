"""Issue 14: what the official Python client sees is what Twilio would show it — date
filters by day (as the client sends them), toll-free numbers, Lookup of a national
number, ValidityPeriod, the sandbox clock on recordings, and Twilio's documented codes."""

from datetime import datetime, timedelta, timezone

from sandboxtest import refusal
from utwilio_sandbox.clients import twilio_client
from utwilio_sandbox.settings import DEFAULT_MESSAGING_SERVICE_SID

FROM, TO = "+15005550006", "+15551234567"
SERVICE = DEFAULT_MESSAGING_SERVICE_SID
TWIML = "<Response><Say>Greenhouse hot</Say></Response>"


def today(server):
    moment = datetime.fromtimestamp(server.sandbox.scheduler.now(), timezone.utc)
    return datetime(moment.year, moment.month, moment.day)


def test_date_sent_as_the_client_sends_a_datetime_finds_that_days_messages(live):
    client = twilio_client(live.url)
    sent = [client.messages.create(to=TO, from_=FROM, body="m%d" % i).sid for i in range(2)]
    day = today(live)
    assert sorted(m.sid for m in client.messages.list(date_sent=day)) == sorted(sent)
    assert client.messages.list(date_sent=day + timedelta(days=1)) == []
    assert len(client.messages.list(date_sent_before=day)) == 2  # on or before that day
    assert len(client.messages.list(date_sent_after=day)) == 2  # on or after its midnight
    assert client.messages.list(date_sent_after=day + timedelta(days=1)) == []
    assert client.messages.list(date_sent_before=day - timedelta(days=1)) == []
    # a time of day changes nothing: only the (UTC) day counts
    assert len(client.messages.list(date_sent=day + timedelta(hours=23, minutes=59))) == 2


def test_date_sent_is_when_the_message_was_sent(live):
    client = twilio_client(live.url)
    message = client.messages.create(to=TO, from_=FROM, body="later")
    live.sandbox.scheduler.advance(3 * 86400)  # sent three days after it was created
    live.advance_until("message", message.sid, ("sent", "delivered"))
    sent = client.messages(message.sid).fetch().date_sent
    day = today(live)
    assert (sent.year, sent.month, sent.day) == (day.year, day.month, day.day)
    assert [m.sid for m in client.messages.list(date_sent=day)] == [message.sid]
    assert client.messages.list(date_sent=day - timedelta(days=3)) == []


def test_start_time_is_when_the_call_was_dialed_and_filters_by_day(live):
    client = twilio_client(live.url)
    call = client.calls.create(to=TO, from_=FROM, twiml=TWIML)
    queued = client.calls(call.sid).fetch()
    assert queued.start_time is None
    day = today(live)
    # not dialed yet: counts from its creation, as a message not sent yet does
    assert [c.sid for c in client.calls.list(start_time=day)] == [call.sid]
    live.sandbox.scheduler.advance(2 * 86400)
    live.advance_until("call", call.sid, ("ringing",))
    dialed = client.calls(call.sid).fetch().start_time
    later = today(live)
    assert (dialed.year, dialed.month, dialed.day) == (later.year, later.month, later.day)
    assert [c.sid for c in client.calls.list(start_time=later)] == [call.sid]
    assert client.calls.list(start_time=day) == []
    assert [c.sid for c in client.calls.list(start_time_after=day)] == [call.sid]
    assert client.calls.list(start_time_before=day) == []


def test_recordings_follow_the_sandbox_clock_and_filter_by_day(live):
    client = twilio_client(live.url)
    live.sandbox.scheduler.advance(5 * 86400)
    call = client.calls.create(to=TO, from_=FROM, twiml=TWIML, record=True)
    live.advance_until("call", call.sid, ("completed",))
    [recording] = client.recordings.list()
    day = today(live)
    created = recording.date_created
    assert (created.year, created.month, created.day) == (day.year, day.month, day.day)
    assert [r.sid for r in client.recordings.list(date_created=day)] == [recording.sid]
    assert client.recordings.list(date_created=day - timedelta(days=5)) == []
    assert [r.sid for r in client.recordings.list(date_created_after=day)] == [recording.sid]
    assert client.recordings.list(date_created_before=day - timedelta(days=1)) == []


def test_media_list_filters_by_date_created(live):
    client = twilio_client(live.url)
    message = client.messages.create(to=TO, from_=FROM, media_url=["https://x.test/cat.gif"])
    day = today(live)
    assert len(client.messages(message.sid).media.list(date_created=day)) == 1
    assert client.messages(message.sid).media.list(date_created=day - timedelta(days=1)) == []
    assert client.messages(message.sid).media.list(date_created_after=day + timedelta(days=1)) == []


def test_toll_free_numbers_are_toll_free(live):
    client = twilio_client(live.url)
    offered = client.available_phone_numbers("US").toll_free.list(limit=3)
    assert len(offered) == 3
    assert all(
        n.phone_number[2:5] in ("800", "833", "844", "855", "866", "877", "888") for n in offered
    )
    local = client.available_phone_numbers("US").local.list(limit=1)[0].phone_number
    assert local[2:5] not in ("800", "833", "844", "855", "866", "877", "888")
    bought = client.incoming_phone_numbers.toll_free.create(phone_number=offered[0].phone_number)
    assert bought.phone_number == offered[0].phone_number
    assert [n.sid for n in client.incoming_phone_numbers.toll_free.list()] == [bought.sid]
    assert bought.sid not in [n.sid for n in client.incoming_phone_numbers.local.list()]
    assert client.incoming_phone_numbers(bought.sid).fetch().phone_number == bought.phone_number
    # US numbers here are local or toll-free: none is offered, owned or sold as mobile
    assert client.available_phone_numbers("US").mobile.list() == []
    assert client.incoming_phone_numbers.mobile.list() == []
    assert refusal(lambda: client.incoming_phone_numbers.mobile.create(phone_number=local)) == (
        400,
        21422,
    )


def test_lookup_of_a_national_number_with_its_country(live):
    client = twilio_client(live.url)
    found = client.lookups.v2.phone_numbers("4155552671").fetch(country_code="US")
    assert found.phone_number == "+14155552671"
    assert (found.country_code, found.calling_country_code, found.valid) == ("US", "1", True)
    formatted = client.lookups.v2.phone_numbers("(415) 555-2671").fetch(country_code="US")
    assert formatted.phone_number == "+14155552671"


def test_a_sent_message_can_be_redacted_as_in_twilios_example(live):
    """Twilio's redaction example answers with a message whose status is sent: post-flight
    is enough, a delivery receipt is not needed (and many never get one)."""
    client = twilio_client(live.url)
    message = client.messages.create(to=TO, from_=FROM, body="code 1234")
    assert refusal(lambda: client.messages(message.sid).update(body="")) == (400, 20009)
    live.advance_until("message", message.sid, ("sent",))
    redacted = client.messages(message.sid).update(body="")
    assert (redacted.status, redacted.body) == ("sent", "")


def test_validity_period_expires_a_message_still_queued(live):
    client = twilio_client(live.url)
    message = client.messages.create(to=TO, from_=FROM, body="stale soon", validity_period=60)
    kept = client.messages.create(to=TO, from_=FROM, body="no limit")
    live.advance_until("message", message.sid, ("failed",))
    expired = client.messages(message.sid).fetch()
    assert (expired.status, expired.error_code) == ("failed", 30036)
    assert client.messages(kept.sid).fetch().status == "sending"


def test_error_codes_are_twilios(live):
    client = twilio_client(live.url)
    queued = client.messages.create(to=TO, from_=FROM, body="x")
    assert refusal(lambda: client.messages(queued.sid).update(status="canceled")) == (400, 30409)
    assert refusal(lambda: client.messages(queued.sid).delete()) == (400, 20009)
    assert refusal(
        lambda: client.messages.create(to=TO, from_=FROM, body="x", validity_period=0)
    ) == (400, 21624)
    soon = datetime.fromtimestamp(live.sandbox.scheduler.now(), timezone.utc)
    assert refusal(
        lambda: client.messages.create(
            to=TO, from_=FROM, body="x", send_at=soon + timedelta(hours=1), schedule_type="fixed"
        )
    ) == (400, 35118)
    assert refusal(
        lambda: client.messages.create(
            to=TO, messaging_service_sid=SERVICE, body="x", schedule_type="fixed"
        )
    ) == (400, 35111)
    assert refusal(
        lambda: client.messages.create(
            to=TO,
            messaging_service_sid=SERVICE,
            body="x",
            schedule_type="fixed",
            send_at=soon + timedelta(minutes=2),
        )
    ) == (400, 35114)
    scheduled = client.messages.create(
        to=TO,
        messaging_service_sid=SERVICE,
        body="x",
        schedule_type="fixed",
        send_at=soon + timedelta(minutes=6),
    )
    assert scheduled.status == "scheduled"
    assert client.messages(scheduled.sid).update(status="canceled").status == "canceled"
    assert refusal(
        lambda: client.calls.create(
            to=TO,
            from_=FROM,
            twiml=TWIML,
            status_callback="https://cb.test/c",
            status_callback_event=["hungup"],
        )
    ) == (400, 21626)
    call = client.calls.create(to=TO, from_=FROM, twiml=TWIML)
    assert client.calls(call.sid).update(status="canceled").status == "canceled"
    assert refusal(lambda: client.calls(call.sid).update(status="canceled")) == (400, 21220)


def test_canceling_a_call_in_progress_leaves_it_alone(live):
    client = twilio_client(live.url)
    call = client.calls.create(to=TO, from_=FROM, twiml=TWIML)
    live.advance_until("call", call.sid, ("in-progress",))
    assert client.calls(call.sid).update(status="canceled").status == "in-progress"
    assert client.calls(call.sid).update(status="completed").status == "completed"
