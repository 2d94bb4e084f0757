"""An outbound message's life: queued -> sending -> sent -> delivered, or failed /
undelivered for recipients configured to fail, with a StatusCallback at each step."""

from . import usage
from .formats import API_VERSION, from_timestamp, rfc2822, split_channel

FINAL = {"delivered", "undelivered", "failed", "canceled", "received", "read"}
# Errors that stop a message before it leaves Twilio: it ends 'failed', not 'undelivered'.
FAILS_BEFORE_SENDING = {30001, 30002, 30007, 30008, 30034}
ERROR_MESSAGES = {
    30001: "Queue overflow",
    30002: "Account suspended",
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
    30034: "Message from an unregistered number",
    30036: "Validity Period Expired",
}
EXPIRED = 30036
PRICE_PER_SEGMENT = {"sms": "0.00790", "mms": "0.02000"}


def start(sandbox, sid, delay=None):
    """Begin (or resume) the lifecycle of message `sid` after `delay` seconds."""
    sandbox.scheduler.after(
        sandbox.settings.step_seconds if delay is None else delay, lambda: advance(sandbox, sid)
    )


def _next_status(status, error_code):
    if status in ("queued", "accepted"):
        return "sending"
    if status == "sending":
        return "failed" if error_code in FAILS_BEFORE_SENDING else "sent"
    if status == "sent":
        return "undelivered" if error_code else "delivered"
    return None


def _expired(record, now):
    """A message still queued when its ValidityPeriod has passed is never sent."""
    validity = record.private.get("validity_period")
    queued_at = record.private.get("queued_at")
    return (
        record.data["status"] in ("queued", "accepted")
        and validity is not None
        and queued_at is not None
        and now - queued_at >= validity
    )


def _price(record):
    kind = "mms" if int(record.data["num_media"]) else "sms"
    segments = 1 if kind == "mms" else int(record.data["num_segments"])
    return "-%.5f" % (float(PRICE_PER_SEGMENT[kind]) * segments)


async def advance(sandbox, sid):
    record = sandbox.store.get("message", sid)
    if record is None:
        return
    _, recipient = split_channel(record.data["to"])
    error_code = sandbox.settings.failing.get(recipient)
    now = sandbox.scheduler.now()
    if _expired(record, now):
        status, error_code = "failed", EXPIRED
    else:
        status = _next_status(record.data["status"], error_code)
    if status is None:
        return
    record.data["status"] = status
    record.data["date_updated"] = rfc2822(from_timestamp(now))
    if status == "sent":
        record.private["sent_at"] = now
        record.data["date_sent"] = rfc2822(from_timestamp(now))
        record.data["price"] = _price(record)
    if status in ("failed", "undelivered"):
        record.data["error_code"] = error_code
        record.data["error_message"] = ERROR_MESSAGES.get(error_code, "Delivery failed")
    sandbox.store.update(record)
    sandbox.changed()
    await status_callback(sandbox, record)
    if status in ("sent", "failed"):
        await usage.check_triggers(sandbox, record.account_sid)
    if status not in FINAL:
        start(sandbox, sid)


def callback_params(record):
    data = record.data
    params = [
        ("AccountSid", data["account_sid"]),
        ("ApiVersion", API_VERSION),
        ("From", data["from"]),
        ("MessageSid", data["sid"]),
        ("MessageStatus", data["status"]),
        ("SmsSid", data["sid"]),
        ("SmsStatus", data["status"]),
        ("To", data["to"]),
    ]
    if data["messaging_service_sid"]:
        params.append(("MessagingServiceSid", data["messaging_service_sid"]))
    if data["error_code"]:
        params.append(("ErrorCode", str(data["error_code"])))
    if data["status"] == "delivered" and not data["to"].startswith("whatsapp:"):
        params.append(
            ("RawDlrDoneDate", from_timestamp(record.private["sent_at"]).strftime("%y%m%d%H%M"))
        )
    return params


async def status_callback(sandbox, record):
    url = record.private.get("status_callback")
    if url:
        await sandbox.webhook(
            record.account_sid, url, callback_params(record), resource_sid=record.sid
        )
