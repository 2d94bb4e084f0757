"""Plain words for what the store keeps: a command's state, an SMS's delivery status,
Twilio's error codes. The console shows these, never the internal names."""

ERROR_PAGE = "https://www.twilio.com/docs/api/errors/%d"

# Twilio's codes that an SMS the agent sends can meet, in a maker's words.
ERRORS = {
    20003: "Twilio refused the agent's credentials: check TWILIO_ACCOUNT_SID and "
           "TWILIO_AUTH_TOKEN",
    20429: "Twilio asked the agent to slow down (too many requests)",
    21211: "the number it was sent to is not a valid phone number",
    21408: "the account may not text this country (Messaging Geographic Permissions)",
    21602: "the message had no text",
    21606: "the number it was sent from cannot text this destination",
    21608: "a trial account can text only verified numbers",
    21610: "the recipient replied STOP: they have unsubscribed",
    21612: "Twilio cannot reach this number by SMS",
    21614: "the number it was sent to is not a mobile number",
    21617: "the text is longer than 1600 characters",
    30001: "too many messages were waiting at Twilio (queue overflow)",
    30002: "the Twilio account is suspended",
    30003: "the phone is unreachable: switched off or out of coverage",
    30004: "the message was blocked by the recipient or their carrier",
    30005: "the number does not exist or is no longer in service",
    30006: "the number is a landline, or its carrier cannot receive SMS",
    30007: "the carrier filtered the message as spam",
    30008: "the carrier reported an unknown error",
    30032: "the toll-free number sending it is not verified",
    30034: "the US number sending it is not registered for A2P 10DLC",
}

STATUSES = {
    "accepted": "accepted by Twilio", "scheduled": "scheduled at Twilio",
    "queued": "queued at Twilio", "sending": "sending", "sent": "sent to the carrier",
    "delivered": "delivered", "read": "read", "undelivered": "not delivered",
    "failed": "failed", "canceled": "canceled at Twilio",
}
# How far along queued -> sent -> delivered a status is.
STEP = {"accepted": 0, "scheduled": 0, "queued": 0, "sending": 1, "sent": 1,
        "delivered": 2, "read": 2, "undelivered": 2, "failed": 1, "canceled": 0}
STEPS = ("queued", "sent", "delivered")
KINDS = {"reply": "reply", "alert": "alert", "expired": "expiry notice"}


def error(code, text=None):
    """-> {"code", "meaning", "url"} for a Twilio error code (or None)."""
    if code is None or code < 10000:  # not Twilio's: the agent could not reach it
        return {"code": None, "meaning": text or "no answer from Twilio", "url": None}
    meaning = ERRORS.get(code) or text or "Twilio error %d" % code
    return {"code": code, "meaning": meaning, "url": ERROR_PAGE % code}


def message(m):
    """An SMS the agent sent, or answered with, as the console shows it."""
    view = {"id": m.id, "device": m.device, "kind": KINDS.get(m.kind, m.kind), "to": m.to,
            "body": m.body, "created": m.created, "steps": [], "error": None}
    if m.state == "twiml":
        view.update(words="sent in the answer to the text (Twilio delivers it)", tone="ok")
    elif m.state == "pending":
        waiting = "waiting to be sent"
        if m.attempts:
            waiting = "retrying after %d failed attempt%s" % (m.attempts, "s" * (m.attempts > 1))
            view["error"] = error(m.error_code, m.error)
        view.update(words=waiting, tone="wait")
    elif m.state == "failed":
        view.update(words="not sent: Twilio refused it", tone="bad",
                    error=error(m.error_code, m.error))
    else:
        status = m.status or "queued"
        bad = status in ("failed", "undelivered")
        view.update(words=STATUSES.get(status, status), tone="bad" if bad else
                    "ok" if status in ("delivered", "read") else "wait")
        reached = STEP.get(status, 0)
        view["steps"] = [
            {"name": name, "state": "failed" if bad and i == reached else
             "done" if i < reached or (i == reached and not bad) else "todo"}
            for i, name in enumerate(STEPS)
        ]
        if bad:
            view["error"] = error(m.error_code, m.error) if m.error_code else None
    return view


def sender(who):
    if who == "cli":
        return "the command line"
    if who == "console":
        return "this console"
    return who


def command(c):
    """A command as the console shows it: who sent what, where it stands, the reply."""
    if c.state == "pending":
        words = ("picked up by %s, waiting for its answer" % c.device if c.deliveries
                 else "waiting for %s to pick it up" % c.device)
        tone = "wait"
    elif c.state == "done":
        words, tone = ("answered" if c.reply is not None else "done, no answer"), "ok"
    elif c.state == "expired":
        words = "expired: %s in time" % ("not answered" if c.deliveries else "not picked up")
        tone = "bad"
    elif c.state == "canceled":
        words, tone = "canceled before the device picked it up", "bad"
    else:
        words, tone = c.state, "wait"
    how = {"twiml": "in the answer to the text", "rest": "by SMS"}.get(c.reply_route or "", "")
    return {"id": c.id, "device": c.device, "from": sender(c.sender), "text": c.text,
            "created": c.created, "answered": c.acked, "words": words, "tone": tone,
            "reply": c.reply, "reply_how": how,
            "can_cancel": c.state == "pending" and not c.deliveries,
            "can_retry": c.state in ("expired", "canceled")}


def numbers(name, data):
    """The numeric fields of an event: {"reading.temp": 21.5}; a bare number is the
    event's own field."""
    if is_number(data):
        return {name: data}
    if isinstance(data, dict):
        return {"%s.%s" % (name, k): v for k, v in data.items() if is_number(v)}
    return {}


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        value == value and abs(value) != float("inf")
