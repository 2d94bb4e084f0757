"""The resources issue 14 added, through the official Python client: Applications,
Queues, Conferences, OutgoingCallerIds, SMS ShortCodes, ConnectApps, Transcriptions,
Notifications and Messaging Services (with their phone numbers) — Twilio's paths,
shapes, paging and errors."""

import json

from sandboxtest import refusal
from utwilio_sandbox.clients import twilio_client
from utwilio_sandbox.settings import DEFAULT_MESSAGING_SERVICE_SID

FROM, TO = "+15005550006", "+15551234567"


def test_applications_crud_and_paging(live):
    client = twilio_client(live.url)
    made = [
        client.applications.create(friendly_name="app %d" % i, voice_url="https://app.test/voice")
        for i in range(3)
    ]
    assert made[0].sid.startswith("AP") and made[0].voice_url == "https://app.test/voice"
    assert made[0].voice_method == "POST" and made[0].api_version == "2010-04-01"
    assert [a.sid for a in client.applications.list(page_size=2)] == [a.sid for a in made[::-1]]
    assert [a.sid for a in client.applications.list(friendly_name="app 1")] == [made[1].sid]
    updated = client.applications(made[0].sid).update(
        sms_url="https://app.test/sms", voice_caller_id_lookup=True
    )
    assert updated.sms_url == "https://app.test/sms" and updated.voice_caller_id_lookup is True
    assert client.applications(made[0].sid).fetch().sms_url == "https://app.test/sms"
    assert refusal(lambda: client.applications.create(voice_url="not a url")) == (400, 21502)
    assert client.applications(made[0].sid).delete() is True
    assert refusal(lambda: client.applications(made[0].sid).fetch()) == (404, 20404)


def test_queues_crud(live):
    client = twilio_client(live.url)
    queue = client.queues.create(friendly_name="support", max_size=10)
    assert queue.sid.startswith("QU") and (queue.max_size, queue.current_size) == (10, 0)
    assert client.queues(queue.sid).update(max_size=20).max_size == 20
    assert [q.friendly_name for q in client.queues.list()] == ["support"]
    assert client.queues.create(friendly_name="default size").max_size == 1000  # Twilio's default
    assert refusal(lambda: client.queues.create(friendly_name="", max_size=5)) == (400, 20001)
    assert client.queues(queue.sid).delete() is True


def test_outgoing_caller_ids_validate_list_update_delete(live):
    client = twilio_client(live.url)
    request = client.validation_requests.create(
        phone_number="+15558675310", friendly_name="my cell"
    )
    assert request.phone_number == "+15558675310" and request.validation_code
    [caller_id] = client.outgoing_caller_ids.list(phone_number="+15558675310")
    assert caller_id.sid.startswith("PN") and caller_id.friendly_name == "my cell"
    assert (
        client.outgoing_caller_ids(caller_id.sid).update(friendly_name="desk").friendly_name
        == "desk"
    )
    assert refusal(lambda: client.validation_requests.create(phone_number="+1555"))[1] == 21211
    assert client.outgoing_caller_ids(caller_id.sid).delete() is True
    assert client.outgoing_caller_ids.list() == []


def test_short_codes_and_connect_apps_list_fetch_update(live):
    client = twilio_client(live.url)
    [short] = client.short_codes.list()
    assert short.sid.startswith("SC") and short.short_code == "55555"
    assert (
        client.short_codes(short.sid).update(sms_url="https://app.test/sc").sms_url
        == "https://app.test/sc"
    )
    assert [s.sid for s in client.short_codes.list(short_code="55555")] == [short.sid]
    [app] = client.connect_apps.list()
    assert app.sid.startswith("CN") and app.permissions == ["get-all"]
    assert client.connect_apps(app.sid).update(friendly_name="renamed").friendly_name == "renamed"
    assert client.connect_apps(app.sid).fetch().friendly_name == "renamed"
    fields = json.loads(client.request("GET", "https://api.twilio.com" + app.uri).text)
    assert "date_created" not in fields and "date_updated" not in fields  # as at Twilio
    assert client.connect_apps(app.sid).delete() is True
    assert client.connect_apps.list() == []


def test_conferences_start_from_twiml_and_end(live):
    client = twilio_client(live.url)
    twiml = "<Response><Dial><Conference>standup</Conference></Dial></Response>"
    call = client.calls.create(to=TO, from_=FROM, twiml=twiml)
    live.advance_until("call", call.sid, ("in-progress",))
    [conference] = client.conferences.list(status="in-progress")
    assert conference.sid.startswith("CF") and conference.friendly_name == "standup"
    ended = client.conferences(conference.sid).update(status="completed")
    assert ended.status == "completed"
    assert ended.reason_conference_ended == "conference-ended-via-api"
    assert client.conferences.list(status="in-progress") == []
    gone = client.request("DELETE", "https://api.twilio.com" + conference.uri)
    assert (gone.status_code, json.loads(gone.text)["code"]) == (405, 20004)  # Twilio: no delete


def test_transcriptions_of_recordings_that_ask_for_one(live):
    client = twilio_client(live.url)
    twiml = '<Response><Say>Leave a message</Say><Record transcribe="true"/></Response>'
    call = client.calls.create(to=TO, from_=FROM, twiml=twiml)
    live.advance_until("call", call.sid, ("completed",))
    [recording] = client.recordings.list()
    [transcription] = client.transcriptions.list()
    assert transcription.sid.startswith("TR") and transcription.recording_sid == recording.sid
    assert transcription.status == "completed" and transcription.transcription_text
    assert client.transcriptions(transcription.sid).fetch().sid == transcription.sid
    assert client.transcriptions(transcription.sid).delete() is True
    assert client.transcriptions.list() == []


def test_notifications_are_the_debugger_log(live, wait):
    client = twilio_client(live.url)
    client.calls.create(to=TO, from_=FROM, url="http://127.0.0.1:9/voice")  # no one there
    live.sandbox.scheduler.advance(3600)  # ringing
    wait(lambda: live.sandbox.store.all("call")[0].data["status"] == "ringing")
    live.sandbox.scheduler.advance(3600)  # answered: the TwiML request fails
    [notice] = wait(lambda: client.notifications.list(), what="a notification")
    assert notice.sid.startswith("NO") and notice.error_code == "11205" and notice.log == "0"
    assert notice.request_url == "http://127.0.0.1:9/voice"
    assert client.notifications(notice.sid).fetch().more_info.endswith("/11205")
    assert [n.sid for n in client.monitor.v1.alerts.list()] == [notice.sid]


def test_messaging_services_and_their_numbers(live):
    client = twilio_client(live.url)
    [default] = client.messaging.v1.services.list()  # the sandbox account's, with its numbers
    assert default.sid == DEFAULT_MESSAGING_SERVICE_SID
    held = client.messaging.v1.services(default.sid).phone_numbers.list()
    assert sorted(n.phone_number for n in held) == sorted([FROM, "+15017122661"])
    service = client.messaging.v1.services.create(friendly_name="alerts")
    assert service.sid.startswith("MG") and service.validity_period == 36000
    assert service.url.endswith("/v1/Services/" + service.sid)
    assert service.links["phone_numbers"].endswith("/PhoneNumbers")
    assert [s.sid for s in client.messaging.v1.services.list()] == [service.sid, default.sid]
    assert (
        client.messaging.v1.services(service.sid).update(friendly_name="greenhouse").friendly_name
        == "greenhouse"
    )
    sent_without = refusal(
        lambda: client.messages.create(to=TO, messaging_service_sid=service.sid, body="x")
    )
    assert sent_without == (400, 21704)
    [ours] = client.incoming_phone_numbers.list(phone_number=FROM)
    numbers = client.messaging.v1.services(service.sid).phone_numbers
    assert refusal(lambda: numbers.create(phone_number_sid=ours.sid)) == (400, 21712)  # in default
    assert refusal(lambda: numbers.create(phone_number_sid="PN" + "f" * 32)) == (400, 21421)
    offer = client.available_phone_numbers("US").local.list(limit=1)[0].phone_number
    bought = client.incoming_phone_numbers.create(phone_number=offer)
    added = numbers.create(phone_number_sid=bought.sid)
    assert (added.sid, added.phone_number) == (bought.sid, offer)
    message = client.messages.create(to=TO, messaging_service_sid=service.sid, body="hi")
    assert message.messaging_service_sid == service.sid and message.status == "accepted"
    assert live.sandbox.store.get("message", message.sid).data["from"] == offer
    assert [n.phone_number for n in numbers.list()] == [offer]
    assert numbers(bought.sid).delete() is True
    assert refusal(
        lambda: client.messages.create(to=TO, messaging_service_sid="MG" + "f" * 32, body="x")
    ) == (400, 21701)
    assert refusal(lambda: client.messaging.v1.services.create(friendly_name="")) == (400, 20001)
    assert client.messaging.v1.services(service.sid).delete() is True
    assert refusal(lambda: client.messaging.v1.services(service.sid).fetch()) == (404, 20404)


def test_a_released_number_leaves_its_messaging_service(live):
    client = twilio_client(live.url)
    offer = client.available_phone_numbers("US").local.list(limit=1)[0].phone_number
    bought = client.incoming_phone_numbers.create(phone_number=offer)
    service = client.messaging.v1.services.create(friendly_name="short-lived")
    client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=bought.sid)
    client.incoming_phone_numbers(bought.sid).delete()
    assert client.messaging.v1.services(service.sid).phone_numbers.list() == []


def test_urls_methods_and_flags_are_checked_alike_on_every_resource(live):
    """Numbers, Messaging Services and the account resources check a parameter the
    same way: a bad *Method is 21503, a bad *Url or *Callback 21502."""
    client = twilio_client(live.url)
    [number] = client.incoming_phone_numbers.list(phone_number=FROM)
    service = client.messaging.v1.services(DEFAULT_MESSAGING_SERVICE_SID)
    app = client.applications.create(friendly_name="checked")
    assert refusal(lambda: client.incoming_phone_numbers(number.sid).update(sms_method="PUT")) == (
        400,
        21503,
    )
    assert refusal(lambda: service.update(fallback_method="PUT")) == (400, 21503)
    assert refusal(lambda: client.applications(app.sid).update(sms_method="PUT")) == (400, 21503)
    assert refusal(lambda: service.update(status_callback="not a url")) == (400, 21502)
    assert refusal(lambda: client.applications(app.sid).update(sms_status_callback="x")) == (
        400,
        21502,
    )
    sticky = client.request(
        "POST",
        "https://messaging.twilio.com/v1/Services/" + DEFAULT_MESSAGING_SERVICE_SID,
        data={"StickySender": "maybe"},
    )
    assert (sticky.status_code, json.loads(sticky.text)["code"]) == (400, 20001)
    assert service.update(sticky_sender=False).sticky_sender is False
