"""The Messages resource (and its Media): create, fetch, list; and the retired
SMS/Messages path over the same messages."""

from datetime import datetime, timezone
from urllib.parse import urlparse

from starlette.routing import Route

from . import delivery, services
from .dates import by_day
from .endpoints import api, json, no_content, owned
from .errors import TwilioError
from .formats import (
    API_VERSION,
    from_timestamp,
    is_phone_number,
    is_sid,
    is_url,
    new_sid,
    rfc2822,
    segment_count,
    split_channel,
)
from .paging import paginate

MAX_BODY = 1600
MAX_MEDIA = 10
MIN_SCHEDULE, MAX_SCHEDULE = 5 * 60, 35 * 86400
_CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "mp4": "video/mp4",
    "pdf": "application/pdf",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "vcf": "text/vcard",
}


def messages_path(account_sid):
    return "/%s/Accounts/%s/Messages" % (API_VERSION, account_sid)


def content_type(url):
    extension = urlparse(url).path.rsplit(".", 1)[-1].lower()
    return _CONTENT_TYPES.get(extension, "application/octet-stream")


def owned_number(store, account_sid, number):
    for record in store.all("incoming_phone_number", account_sid):
        if record.data["phone_number"] == number:
            return record
    return None


def _recipient(params):
    to = params.get("To")
    if not to:
        raise TwilioError(21604, "A 'To' phone number is required.")
    channel, number = split_channel(to.strip())
    if not is_phone_number(number):
        raise TwilioError(21211, "The 'To' number %s is not a valid phone number." % to)
    return channel, number


def _sender(store, account, params, to_channel):
    sender = params.get("From")
    service = params.get("MessagingServiceSid")
    if service:
        if not is_sid(service, "MG"):
            raise TwilioError(21705, "The Messaging Service Sid %s is invalid." % service)
        found = store.get("service", service)
        if found is None or found.account_sid != account.sid:
            raise TwilioError(
                21701,
                "The Messaging Service %s does not exist or is not this account's." % service,
            )
    if not sender:
        if not service:
            raise TwilioError(21603, "A 'From' phone number is required.")
        number = services.sender(store, account.sid, service)
        if number is None:
            raise TwilioError(21704, "The Messaging Service contains no phone numbers")
        return to_channel, number
    channel, number = split_channel(sender.strip())
    if not is_phone_number(number):
        raise TwilioError(
            21212,
            "The 'From' number %s is not a valid phone number, shortcode, "
            "or alphanumeric sender ID." % sender,
        )
    if owned_number(store, account.sid, number) is None:
        raise TwilioError(
            21606,
            "The From phone number %s is not a valid, SMS-capable inbound phone number "
            "or short code for your account." % sender,
        )
    if channel != to_channel:
        raise TwilioError(
            21910, "Invalid From and To pair. From and To should be of the same channel"
        )
    return channel, number


def _content(params):
    body = params.get("Body", "")
    media = params.getlist("MediaUrl")
    if not body and not media:
        raise TwilioError(21602, "Message body is required.")
    if len(body) > MAX_BODY:
        raise TwilioError(21617, "The concatenated message body exceeds the 1600 character limit.")
    if len(media) > MAX_MEDIA:
        raise TwilioError(21623, "Too many media URLs: at most %d are allowed." % MAX_MEDIA)
    for url in media:
        if not is_url(url):
            raise TwilioError(21620, "Invalid media URL(s): %s" % url)
    return body, media


def message_json(
    account_sid,
    sid,
    to,
    sender,
    body,
    num_media,
    service_sid,
    status,
    now,
    direction="outbound-api",
):
    path = "%s/%s" % (messages_path(account_sid), sid)
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "date_created": rfc2822(now),
        "date_sent": None,
        "date_updated": rfc2822(now),
        "direction": direction,
        "error_code": None,
        "error_message": None,
        "from": sender,
        "messaging_service_sid": service_sid,
        "num_media": str(num_media),
        "num_segments": str(segment_count(body)),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": {"media": path + "/Media.json"},
        "to": to,
        "uri": path + ".json",
    }


def add_media(store, account_sid, message_sid, urls, now):
    for url in urls:
        sid = new_sid("ME")
        data = {
            "account_sid": account_sid,
            "content_type": content_type(url),
            "date_created": rfc2822(now),
            "date_updated": rfc2822(now),
            "parent_sid": message_sid,
            "sid": sid,
            "uri": "%s/%s/Media/%s.json" % (messages_path(account_sid), message_sid, sid),
        }
        store.insert("media", sid, account_sid, data, {"url": url}, parent_sid=message_sid)


def _schedule(sandbox, params):
    """SendAt with ScheduleType=fixed and a Messaging Service: 5 min to 35 days ahead."""
    send_at, kind = params.get("SendAt"), params.get("ScheduleType")
    if not send_at and not kind:
        return None
    if kind != "fixed":
        raise TwilioError(35126, "ScheduleType %r is not supported: use 'fixed'" % (kind or ""))
    if not send_at:
        raise TwilioError(35111, "You must indicate SendAt timestamp if ScheduleType is 'fixed'.")
    if not params.get("MessagingServiceSid"):
        raise TwilioError(35118, "MessagingServiceSid is required to schedule a message")
    try:
        due = datetime.fromisoformat(send_at.replace("Z", "+00:00"))
    except ValueError:
        raise TwilioError(
            35114, "Scheduling does not support this timestamp: %s" % send_at
        ) from None
    if due.tzinfo is None:
        due = due.replace(tzinfo=timezone.utc)
    ahead = due.timestamp() - sandbox.scheduler.now()
    if not MIN_SCHEDULE <= ahead <= MAX_SCHEDULE:
        raise TwilioError(
            35114,
            "SendAt time must be between 300 seconds and 35 days (3024000 seconds) in the "
            "future, inclusive; got %s" % send_at,
        )
    return due.timestamp()


def _validity(params):
    raw = params.get("ValidityPeriod")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 36000:
        raise TwilioError(
            21624,
            "Validity period can only be set to integers between 1 and 36,000 seconds, got %r"
            % raw,
        )
    return int(raw)


def create(sandbox, account, params, direction="outbound-api"):
    """Validate as Twilio does, store the message and start its delivery."""
    store = sandbox.store
    to_channel, to_number = _recipient(params)
    channel, from_number = _sender(store, account, params, to_channel)
    body, media = _content(params)
    callback = params.get("StatusCallback")
    if callback and not is_url(callback):
        raise TwilioError(21609, "The StatusCallback URL %s is not a valid URL." % callback)
    if store.has_opted_out(to_number, from_number):
        raise TwilioError(21610, "Attempt to send to unsubscribed recipient")
    send_at = _schedule(sandbox, params)
    validity = _validity(params)
    now = sandbox.scheduler.now()
    sid = new_sid("SM")
    service = params.get("MessagingServiceSid")
    if send_at:
        status = "scheduled"
    else:
        status = "accepted" if service and not params.get("From") else "queued"
    data = message_json(
        account.sid,
        sid,
        to_channel + to_number,
        channel + from_number,
        body,
        len(media),
        service,
        status,
        from_timestamp(now),
        direction,
    )
    private = {
        "status_callback": callback,
        "sent_at": None,
        "validity_period": validity,
        "queued_at": None if send_at else now,
    }
    record = store.insert("message", sid, account.sid, data, private, created=now)
    add_media(store, account.sid, sid, media, from_timestamp(now))
    sandbox.changed()
    if send_at:
        sandbox.scheduler.at(send_at, lambda: _release(sandbox, sid))
    else:
        delivery.start(sandbox, sid)
    return record


async def _release(sandbox, sid):
    """A scheduled message's time has come: queue it, unless it was canceled."""
    record = sandbox.store.get("message", sid)
    if record is None or record.data["status"] != "scheduled":
        return
    record.data["status"] = "queued"
    record.private["queued_at"] = sandbox.scheduler.now()
    sandbox.store.update(record)
    delivery.start(sandbox, sid, delay=0)


def update(sandbox, record, params):
    """Body='' redacts a message once sent; Status=canceled cancels a scheduled one; one
    of the two, never both (30400)."""
    status, body = params.get("Status"), params.get("Body")
    if (status is None) == (body is None):
        raise TwilioError(30400, "Send either Body='' (redact) or Status=canceled, not both")
    if status is not None:
        if status != "canceled":
            raise TwilioError(30400, "Status can only be canceled, got %r" % status)
        if record.data["status"] != "scheduled":
            raise TwilioError(
                30409,
                "This message cannot be canceled: only a scheduled one can (this one is %s)"
                % record.data["status"],
            )
        record.data["status"] = "canceled"
    else:
        if body != "":
            raise TwilioError(30400, "Body can only be set to '' (redacted), got %r" % body)
        if record.data["status"] not in delivery.FINAL | {"sent"}:  # Twilio: post-flight
            raise TwilioError(
                20009, "Cannot redact message because delivery has not been completed."
            )
        record.data["body"] = ""
    record.data["date_updated"] = rfc2822(from_timestamp(sandbox.scheduler.now()))
    sandbox.store.update(record)
    sandbox.changed()
    return record


def delete(sandbox, record):
    if record.data["status"] not in delivery.FINAL | {"scheduled"}:
        raise TwilioError(20009, "Cannot delete message because delivery has not been completed.")
    for media in sandbox.store.all("media", parent_sid=record.sid):
        sandbox.store.delete("media", media.sid)
    sandbox.store.delete("message", record.sid)
    sandbox.changed()


def sent_time(record):
    """When the message was sent; one not sent yet counts from its creation."""
    return record.private.get("sent_at") or record.created


def filtered(store, account, params):
    """Messages matching To, From and DateSent (also DateSent< and DateSent>, by day)."""
    records = store.all("message", account.sid)
    if params.get("To"):
        records = [r for r in records if r.data["to"] == params["To"]]
    if params.get("From"):
        records = [r for r in records if r.data["from"] == params["From"]]
    return by_day(records, params, "DateSent", sent_time)


ACCOUNT = "/2010-04-01/Accounts/{account_sid}"


@api
async def _list(sandbox, request, account, params):
    if request.method == "POST":
        return json(create(sandbox, account, params).data, 201)
    records = filtered(sandbox.store, account, params)
    return json(paginate(params, records, request.url.path, "messages", lambda r: r.data))


@api
async def _instance(sandbox, request, account, params):
    record = owned(sandbox.store, "message", request.path_params["sid"], account, request.url.path)
    if request.method == "POST":
        return json(update(sandbox, record, params).data)
    if request.method == "DELETE":
        delete(sandbox, record)
        return no_content()
    return json(record.data)


@api
async def _media_list(sandbox, request, account, params):
    message = owned(sandbox.store, "message", request.path_params["sid"], account, request.url.path)
    records = sandbox.store.all("media", account.sid, parent_sid=message.sid)
    records = by_day(records, params, "DateCreated", lambda r: r.created)
    return json(paginate(params, records, request.url.path, "media_list", lambda r: r.data))


@api
async def _media_instance(sandbox, request, account, params):
    owned(sandbox.store, "message", request.path_params["sid"], account, request.url.path)
    media = owned(
        sandbox.store, "media", request.path_params["media_sid"], account, request.url.path
    )
    if request.method == "DELETE":
        sandbox.store.delete("media", media.sid)
        return no_content()
    return json(media.data)


# The retired SMS/Messages resource ("deprecated, replaced by the Messages resource, and may
# be removed"): the same messages in its smaller shape, listed under "sms_messages".
_SMS_FIELDS = (
    "account_sid",
    "api_version",
    "body",
    "date_created",
    "date_sent",
    "date_updated",
    "direction",
    "from",
    "price",
    "price_unit",
    "sid",
    "status",
    "to",
)


def _sms_json(record):
    data = {name: record.data[name] for name in _SMS_FIELDS}
    data["uri"] = "/%s/Accounts/%s/SMS/Messages/%s.json" % (
        API_VERSION,
        record.account_sid,
        record.sid,
    )
    return data


@api
async def _sms_list(sandbox, request, account, params):
    if request.method == "POST":
        return json(_sms_json(create(sandbox, account, params)), 201)
    records = filtered(sandbox.store, account, params)
    return json(paginate(params, records, request.url.path, "sms_messages", _sms_json))


@api
async def _sms_instance(sandbox, request, account, params):
    record = owned(sandbox.store, "message", request.path_params["sid"], account, request.url.path)
    return json(_sms_json(record))


def routes():
    return [
        Route(ACCOUNT + "/SMS/Messages.json", _sms_list, methods=["GET", "POST"]),
        Route(ACCOUNT + "/SMS/Messages/{sid}.json", _sms_instance, methods=["GET"]),
        Route(ACCOUNT + "/Messages.json", _list, methods=["GET", "POST"]),
        Route(ACCOUNT + "/Messages/{sid}.json", _instance, methods=["GET", "POST", "DELETE"]),
        Route(ACCOUNT + "/Messages/{sid}/Media.json", _media_list, methods=["GET"]),
        Route(
            ACCOUNT + "/Messages/{sid}/Media/{media_sid}.json",
            _media_instance,
            methods=["GET", "DELETE"],
        ),
    ]
