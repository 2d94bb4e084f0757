"""Calls and their Recordings: create (Url or Twiml), fetch, list, update, delete.

A call rings, is answered (its TwiML is fetched from Url, or taken from Twiml), and
completes a step later; numbers in Settings.call_outcomes end busy/no-answer/failed.
StatusCallback gets the StatusCallbackEvent steps asked for (default: completed).
"""

import xml.etree.ElementTree as ElementTree

from starlette.routing import Route

from . import alerts, resources, usage
from .dates import by_day
from .endpoints import api, json, no_content, owned
from .errors import TwilioError
from .formats import API_VERSION, from_timestamp, is_phone_number, is_url, new_sid, rfc2822
from .messages import owned_number
from .numbers import friendly_name
from .paging import paginate

ACCOUNT = "/2010-04-01/Accounts/{account_sid}"
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
EVENTS = {"initiated", "ringing", "answered", "completed"}
PRICE_PER_MINUTE = 0.014


def calls_path(account_sid):
    return "/%s/Accounts/%s/Calls" % (API_VERSION, account_sid)


def call_json(account_sid, sid, to, sender, number_sid, now):
    path = "%s/%s" % (calls_path(account_sid), sid)
    subresources = (
        "notifications",
        "recordings",
        "payments",
        "events",
        "siprec",
        "streams",
        "transcriptions",
        "user_defined_message_subscriptions",
        "user_defined_messages",
    )
    names = {
        "user_defined_message_subscriptions": "UserDefinedMessageSubscriptions",
        "user_defined_messages": "UserDefinedMessages",
        "siprec": "Siprec",
    }
    return {
        "account_sid": account_sid,
        "annotation": None,
        "answered_by": None,
        "api_version": API_VERSION,
        "caller_name": None,
        "date_created": rfc2822(now),
        "date_updated": rfc2822(now),
        "direction": "outbound-api",
        "duration": None,
        "end_time": None,
        "forwarded_from": None,
        "from": sender,
        "from_formatted": friendly_name(sender),
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": number_sid,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": sid,
        "start_time": None,
        "status": "queued",
        "subresource_uris": {
            key: "%s/%s.json" % (path, names.get(key, key.capitalize())) for key in subresources
        },
        "to": to,
        "to_formatted": friendly_name(to),
        "trunk_sid": None,
        "uri": path + ".json",
    }


def _validate(sandbox, account, params):
    to, sender = params.get("To"), params.get("From")
    if not to:
        raise TwilioError(21201, "No 'To' number is specified")
    if not is_phone_number(to):
        raise TwilioError(21211, "The 'To' number %s is not a valid phone number." % to)
    if not sender:
        raise TwilioError(21213, "No 'From' number is specified")
    number = owned_number(sandbox.store, account.sid, sender)
    if number is None:
        raise TwilioError(
            21210,
            "The source phone number provided, %s, is not yet verified for your account." % sender,
        )
    if not (params.get("Url") or params.get("Twiml") or params.get("ApplicationSid")):
        raise TwilioError(21205, "Url parameter is required: give Url, Twiml or ApplicationSid")
    for name in ("Url", "StatusCallback", "FallbackUrl"):
        if params.get(name) and not is_url(params[name]):
            raise TwilioError(21205, "%s is not a valid URL: %s" % (name, params[name]))
    events = set(" ".join(params.getlist("StatusCallbackEvent")).split())
    if events - EVENTS:
        raise TwilioError(21626, "StatusCallbackEvent must be among %s" % ", ".join(sorted(EVENTS)))
    return number, events or {"completed"}


def create(sandbox, account, params):
    number, events = _validate(sandbox, account, params)
    now = sandbox.scheduler.now()
    sid = new_sid("CA")
    data = call_json(
        account.sid, sid, params["To"], params["From"], number.sid, from_timestamp(now)
    )
    private = {
        "url": params.get("Url"),
        "method": (params.get("Method") or "POST").upper(),
        "twiml": params.get("Twiml"),
        "record": params.get("Record", "").lower() == "true",
        "status_callback": params.get("StatusCallback"),
        "status_callback_method": (params.get("StatusCallbackMethod") or "POST").upper(),
        "events": sorted(events),
        "sequence": 0,
    }
    record = sandbox.store.insert("call", sid, account.sid, data, private, created=now)
    sandbox.changed()
    _next(sandbox, sid)
    return record


def _next(sandbox, sid):
    sandbox.scheduler.after(sandbox.settings.step_seconds, lambda: advance(sandbox, sid))


def _set_status(sandbox, record, status):
    now = sandbox.scheduler.now()
    record.data["status"] = status
    record.data["date_updated"] = rfc2822(from_timestamp(now))
    if status == "ringing":  # Twilio: start_time is when the call was dialed
        record.data["start_time"] = rfc2822(from_timestamp(now))
        record.private["dialed"] = now
    if status == "in-progress":
        record.private["started"] = now
    if status in FINAL:
        record.data["end_time"] = rfc2822(from_timestamp(now))
        started = record.private.get("started")
        seconds = int(now - started) if started else 0
        record.data["duration"] = str(seconds)
        if status == "completed":
            minutes = max(1, -(-seconds // 60))
            record.data["price"] = "-%.5f" % (PRICE_PER_MINUTE * minutes)
    sandbox.store.update(record)
    sandbox.changed()


async def advance(sandbox, sid):
    record = sandbox.store.get("call", sid)
    if record is None or record.data["status"] in FINAL:
        return
    status = record.data["status"]
    outcome = sandbox.settings.call_outcomes.get(record.data["to"])
    if status == "queued":
        await _event(sandbox, record, "initiated", "initiated")
        _set_status(sandbox, record, "ringing")
        await _event(sandbox, record, "ringing", "ringing")
    elif status == "ringing" and outcome:
        await finish(sandbox, record, outcome)
        return
    elif status == "ringing":
        _set_status(sandbox, record, "in-progress")
        await _event(sandbox, record, "answered", "in-progress")
        await _run_twiml(sandbox, record)
    elif status == "in-progress":
        await finish(sandbox, record, "completed")
        return
    _next(sandbox, sid)


async def finish(sandbox, record, status):
    _set_status(sandbox, record, status)
    if status == "completed" and record.private.get("record"):
        recording = add_recording(sandbox, record)
        if record.private.get("transcribe"):
            resources.transcribe(sandbox, recording)
    resources.leave_conferences(sandbox, record)
    await _event(sandbox, record, "completed", status)
    await usage.check_triggers(sandbox, record.account_sid)


def _params(record, status):
    data = record.data
    return [
        ("AccountSid", data["account_sid"]),
        ("ApiVersion", API_VERSION),
        ("CallSid", data["sid"]),
        ("CallStatus", status),
        ("Called", data["to"]),
        ("Caller", data["from"]),
        ("Direction", data["direction"]),
        ("From", data["from"]),
        ("To", data["to"]),
    ]


async def _event(sandbox, record, event, status):
    url = record.private.get("status_callback")
    if not url or event not in record.private["events"]:
        return
    record.private["sequence"] += 1
    sandbox.store.update(record)
    params = _params(record, status) + [
        ("CallbackSource", "call-progress-events"),
        ("SequenceNumber", str(record.private["sequence"] - 1)),
        ("Timestamp", record.data["date_updated"]),
    ]
    if status in FINAL:
        params += [
            ("CallDuration", record.data["duration"]),
            ("Duration", str(max(1, -(-int(record.data["duration"]) // 60)))),
        ]
    await sandbox.webhook(
        record.account_sid,
        url,
        params,
        method=record.private["status_callback_method"],
        resource_sid=record.sid,
    )


async def _run_twiml(sandbox, record):
    """Fetch the call's TwiML (or take Twiml); a <Record> verb records the call."""
    twiml, url = record.private.get("twiml"), record.private.get("url")
    if not twiml and url:
        result = await sandbox.webhook(
            record.account_sid,
            url,
            _params(record, "in-progress"),
            method=record.private["method"],
            resource_sid=record.sid,
        )
        if not result.ok:
            return
        twiml = result.body
    try:
        root = ElementTree.fromstring(twiml or "")
    except ElementTree.ParseError as error:
        alerts.record(
            sandbox,
            record.account_sid,
            12100,
            "Document parse failure: %s" % error,
            url or "",
            response=twiml,
            resource_sid=record.sid,
        )
        return
    for verb in root:
        if verb.tag == "Record":
            record.private["record"] = True
            record.private["transcribe"] = verb.get("transcribe", "").lower() == "true"
        for child in verb if verb.tag == "Dial" else ():
            if child.tag == "Conference":
                resources.join_conference(sandbox, record, (child.text or "").strip())
    sandbox.store.update(record)


def add_recording(sandbox, call):
    sid = new_sid("RE")
    path = "/%s/Accounts/%s/Recordings/%s" % (API_VERSION, call.account_sid, sid)
    clock = sandbox.scheduler.now()
    now = from_timestamp(clock)
    data = {
        "account_sid": call.account_sid,
        "api_version": API_VERSION,
        "call_sid": call.sid,
        "channels": 1,
        "conference_sid": None,
        "date_created": rfc2822(now),
        "date_updated": rfc2822(now),
        "duration": call.data["duration"],
        "encryption_details": None,
        "error_code": None,
        "media_url": "https://api.twilio.com" + path,
        "price": "-0.00250",
        "price_unit": "USD",
        "sid": sid,
        "source": "OutboundAPI",
        "start_time": call.data["start_time"],
        "status": "completed",
        "subresource_uris": {
            "add_on_results": path + "/AddOnResults.json",
            "transcriptions": path + "/Transcriptions.json",
        },
        "track": "both",
        "uri": path + ".json",
    }
    return sandbox.store.insert(
        "recording", sid, call.account_sid, data, parent_sid=call.sid, created=clock
    )


def update(sandbox, record, params):
    status = params.get("Status")
    current = record.data["status"]
    if status == "canceled":
        if current in FINAL:
            raise TwilioError(21220, "Call is not in-progress. Cannot redirect.")
        if current == "in-progress":  # Twilio: canceled leaves a call in progress alone
            status = None
    elif status == "completed":
        if current in FINAL:
            raise TwilioError(21220, "Call is not in-progress. Cannot redirect.")
        if current != "in-progress":
            status = "canceled"
    elif status is not None:
        raise TwilioError(20001, "Status must be canceled or completed, got %r" % status)
    if params.get("Url") or params.get("Twiml"):
        if current in FINAL:
            raise TwilioError(21220, "Call is not in-progress. Cannot redirect.")
        record.private.update(url=params.get("Url"), twiml=params.get("Twiml"))
        sandbox.store.update(record)
    return status


def start_time(record):
    """When the call was dialed; one not dialed yet counts from its creation."""
    return record.private.get("dialed") or record.created


@api
async def _list(sandbox, request, account, params):
    if request.method == "POST":
        return json(create(sandbox, account, params).data, 201)
    records = sandbox.store.all("call", account.sid)
    for name, field in (
        ("To", "to"),
        ("From", "from"),
        ("Status", "status"),
        ("ParentCallSid", "parent_call_sid"),
    ):
        if params.get(name):
            records = [r for r in records if r.data[field] == params[name]]
    records = by_day(records, params, "StartTime", start_time)
    return json(paginate(params, records, request.url.path, "calls", lambda r: r.data))


@api
async def _instance(sandbox, request, account, params):
    record = owned(sandbox.store, "call", request.path_params["sid"], account, request.url.path)
    if request.method == "DELETE":
        if record.data["status"] not in FINAL:
            raise TwilioError(20009, "Cannot delete a call that is %s" % record.data["status"])
        sandbox.store.delete("call", record.sid)
        return no_content()
    if request.method == "POST":
        status = update(sandbox, record, params)
        if status:
            await finish(sandbox, record, status)
        record = sandbox.store.get("call", record.sid)
    return json(record.data)


def _recordings(sandbox, request, account, params, call_sid=None):
    records = sandbox.store.all("recording", account.sid, parent_sid=call_sid)
    if params.get("CallSid"):
        records = [r for r in records if r.data["call_sid"] == params["CallSid"]]
    records = by_day(records, params, "DateCreated", lambda r: r.created)
    return json(paginate(params, records, request.url.path, "recordings", lambda r: r.data))


@api
async def _recording_list(sandbox, request, account, params):
    return _recordings(sandbox, request, account, params)


@api
async def _call_recordings(sandbox, request, account, params):
    call = owned(sandbox.store, "call", request.path_params["sid"], account, request.url.path)
    return _recordings(sandbox, request, account, params, call.sid)


@api
async def _recording(sandbox, request, account, params):
    record = owned(
        sandbox.store, "recording", request.path_params["sid"], account, request.url.path
    )
    if request.method == "DELETE":
        sandbox.store.delete("recording", record.sid)
        return no_content()
    return json(record.data)


def routes():
    return [
        Route(ACCOUNT + "/Calls.json", _list, methods=["GET", "POST"]),
        Route(ACCOUNT + "/Calls/{sid}.json", _instance, methods=["GET", "POST", "DELETE"]),
        Route(ACCOUNT + "/Calls/{sid}/Recordings.json", _call_recordings, methods=["GET"]),
        Route(ACCOUNT + "/Recordings.json", _recording_list, methods=["GET"]),
        Route(ACCOUNT + "/Recordings/{sid}.json", _recording, methods=["GET", "DELETE"]),
    ]
