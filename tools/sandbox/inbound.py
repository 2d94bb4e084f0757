"""A phone texts one of the sandbox's numbers: the message is recorded, the number's
SmsUrl gets Twilio's webhook (SmsFallbackUrl if that fails), and the TwiML reply is
carried out: each <Message> becomes an SMS back to the phone."""

import xml.etree.ElementTree as ElementTree
from urllib.parse import parse_qsl

from starlette.datastructures import QueryParams
from starlette.routing import Route

from . import alerts, messages
from .endpoints import json, params_of
from .errors import TwilioError
from .formats import (
    API_VERSION,
    from_timestamp,
    is_phone_number,
    new_sid,
    rfc2822,
    segment_count,
    split_channel,
)
from .numbers import find

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
START_WORDS = {"START", "YES", "UNSTOP"}
STOP_REPLY = (
    "You have successfully been unsubscribed. You will not receive any more messages "
    "from this number. Reply START to resubscribe."
)
START_REPLY = (
    "You have successfully been re-subscribed to messages from this number. "
    "Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)
MAX_REDIRECTS = 5


def receive(sandbox, params):
    """Record an SMS from a phone (From) to a sandbox number (To); return its record."""
    sender, to = params.get("From", ""), params.get("To", "")
    _, phone = split_channel(sender)
    _, number_str = split_channel(to)
    if not is_phone_number(phone):
        raise TwilioError(
            21212, "From must be the phone's E.164 number like +15551234567, got %r" % sender
        )
    number = find(sandbox.store, number_str)
    if number is None:
        raise TwilioError(21606, "To must be a number the sandbox owns, got %r" % to)
    body = params.get("Body", "")
    media = params.getlist("MediaUrl")
    now = sandbox.scheduler.now()
    sid = new_sid("SM")
    data = messages.message_json(
        number.account_sid,
        sid,
        to,
        sender,
        body,
        len(media),
        None,
        "received",
        from_timestamp(now),
        "inbound",
    )
    data["date_sent"] = rfc2822(from_timestamp(now))
    data["price"] = "-0.00790"
    record = sandbox.store.insert(
        "message", sid, number.account_sid, data, {"sent_at": now, "media_urls": media}, created=now
    )
    messages.add_media(sandbox.store, number.account_sid, sid, media, from_timestamp(now))
    sandbox.changed()
    word = body.strip().upper()
    if word in STOP_WORDS:
        _auto_reply(sandbox, number, sender, STOP_REPLY)  # the last message it gets
        sandbox.store.opt_out(phone, number_str)
    elif word in START_WORDS:
        sandbox.store.opt_in(phone, number_str)
        _auto_reply(sandbox, number, sender, START_REPLY)
    sandbox.scheduler.after(0, lambda: deliver(sandbox, sid))
    return record


def _auto_reply(sandbox, number, to, body):
    account = sandbox.store.get("account", number.account_sid)
    channel, _ = split_channel(to)
    params = QueryParams(
        [("To", to), ("From", channel + number.data["phone_number"]), ("Body", body)]
    )
    messages.create(sandbox, account, params, direction="outbound-reply")


def webhook_params(record):
    data = record.data
    params = [
        ("ToCountry", "US"),
        ("ToState", ""),
        ("SmsMessageSid", data["sid"]),
        ("NumMedia", data["num_media"]),
        ("ToCity", ""),
        ("FromZip", ""),
        ("SmsSid", data["sid"]),
        ("FromState", ""),
        ("SmsStatus", "received"),
        ("FromCity", ""),
        ("Body", data["body"]),
        ("FromCountry", "US"),
        ("To", data["to"]),
        ("ToZip", ""),
        ("NumSegments", str(segment_count(data["body"]))),
        ("MessageSid", data["sid"]),
        ("AccountSid", data["account_sid"]),
        ("From", data["from"]),
        ("ApiVersion", API_VERSION),
    ]
    for index, url in enumerate(record.private.get("media_urls", [])):
        params.append(("MediaUrl%d" % index, url))
        params.append(("MediaContentType%d" % index, messages.content_type(url)))
    if data["from"].startswith("whatsapp:"):
        phone = data["from"][len("whatsapp:") :]
        params += [("ProfileName", "Sandbox phone"), ("WaId", phone.lstrip("+"))]
    return params


async def deliver(sandbox, sid):
    """POST the webhook (fallback on failure) and act on the TwiML that comes back."""
    record = sandbox.store.get("message", sid)
    number = find(sandbox.store, split_channel(record.data["to"])[1]) if record else None
    if number is None:
        return
    if not number.data["sms_url"]:  # Twilio keeps the message; nobody is told
        record.private["no_webhook"] = True
        sandbox.store.update(record)
        sandbox.changed()
        return
    params = webhook_params(record)
    result = await sandbox.webhook(
        record.account_sid,
        number.data["sms_url"],
        params,
        method=number.data["sms_method"],
        resource_sid=sid,
    )
    if not result.ok and number.data["sms_fallback_url"]:
        fallback = params + [("ErrorCode", str(result.error_code)), ("ErrorUrl", result.url)]
        result = await sandbox.webhook(
            record.account_sid,
            number.data["sms_fallback_url"],
            fallback,
            method=number.data["sms_fallback_method"],
            resource_sid=sid,
        )
    if result.ok:
        await carry_out(sandbox, record, number, result, params)


async def carry_out(sandbox, record, number, result, params, depth=0):
    """Act on a TwiML reply: <Message> sends, <Redirect> fetches more TwiML."""
    body = result.body.strip()
    if not body:
        return
    if result.content_type.startswith("text/plain"):
        _reply(sandbox, record, number, {"body": body}, result)
        return
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        alerts.record(
            sandbox,
            record.account_sid,
            12100,
            "Document parse failure: %s" % error,
            result.url,
            params=params,
            response=result.body,
            resource_sid=record.sid,
        )
        return
    if root.tag != "Response":
        alerts.record(
            sandbox,
            record.account_sid,
            12100,
            "Document parse failure: the root element must be <Response>, not <%s>" % root.tag,
            result.url,
            params=params,
            response=result.body,
            resource_sid=record.sid,
        )
        return
    for verb in root:
        if verb.tag == "Message":
            _reply(sandbox, record, number, _message_verb(verb), result)
        elif verb.tag == "Redirect" and depth < MAX_REDIRECTS:
            target = (verb.text or "").strip()
            more = await sandbox.webhook(
                record.account_sid,
                target,
                params,
                method=verb.get("method", "POST"),
                resource_sid=record.sid,
            )
            if more.ok:
                await carry_out(sandbox, record, number, more, params, depth + 1)
            return
        else:
            alerts.record(
                sandbox,
                record.account_sid,
                12200,
                "Schema validation warning: <%s> is not a messaging verb" % verb.tag,
                result.url,
                params=params,
                response=result.body,
                resource_sid=record.sid,
                level="warning",
            )


def _message_verb(verb):
    bodies = [child.text or "" for child in verb if child.tag == "Body"]
    text = "".join(bodies) if bodies else (verb.text or "").strip()
    return {
        "body": text,
        "media": [(child.text or "").strip() for child in verb if child.tag == "Media"],
        "to": verb.get("to"),
        "from": verb.get("from"),
        "status_callback": verb.get("statusCallback") or verb.get("action"),
    }


def _reply(sandbox, record, number, message, result):
    account = sandbox.store.get("account", record.account_sid)
    pairs = [
        ("To", message.get("to") or record.data["from"]),
        ("From", message.get("from") or record.data["to"]),
        ("Body", message["body"]),
    ]
    pairs += [("MediaUrl", url) for url in message.get("media", [])]
    if message.get("status_callback"):
        pairs.append(("StatusCallback", message["status_callback"]))
    try:
        messages.create(sandbox, account, QueryParams(pairs), direction="outbound-reply")
    except TwilioError as error:
        alerts.record(
            sandbox,
            record.account_sid,
            error.code,
            error.message,
            result.url,
            response=result.body,
            resource_sid=record.sid,
        )


async def _phone_sends(request):
    sandbox = request.app.state.sandbox
    record = receive(sandbox, await params_of(request))
    return json(record.data, 201)


async def _conversation(request):
    """Messages between a phone and a number, oldest first, for the phone page."""
    sandbox = request.app.state.sandbox
    phone, number = request.query_params.get("phone", ""), request.query_params.get("number", "")
    pair = {phone, number}
    found = [
        dict(r.data, webhook_error=_webhook_error(sandbox, r))
        for r in sandbox.store.all("message", newest_first=False)
        if {split_channel(r.data["from"])[1], split_channel(r.data["to"])[1]} == pair
    ]
    return json({"messages": found, "version": sandbox.version})


def _webhook_error(sandbox, record):
    """Why the webhook for an inbound text did not work, as the debugger saw it: the
    first error alert ({code, message, more_info}), or that the number has no SmsUrl."""
    if record.data["direction"] != "inbound":
        return None
    if record.private.get("no_webhook"):
        number = split_channel(record.data["to"])[1]
        return {
            "code": None,
            "message": "%s has no SMS webhook (SmsUrl): set one with utwilio-sandbox number"
            " webhook %s URL" % (number, number),
            "more_info": None,
        }
    for alert in sandbox.store.all("alert", record.account_sid, newest_first=False):
        if alert.data["resource_sid"] == record.sid and alert.data["log_level"] == "error":
            detail = dict(parse_qsl(alert.data["alert_text"])).get("Msg", "")
            return {
                "code": int(alert.data["error_code"]),
                "message": detail,
                "more_info": alert.data["more_info"],
            }
    return None


def routes():
    return [
        Route("/sandbox/phone/messages", _phone_sends, methods=["POST"]),
        Route("/sandbox/conversation", _conversation, methods=["GET"]),
    ]
