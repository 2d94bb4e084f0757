"""`utwilio-sandbox --selftest`: every resource the sandbox serves, driven through the
official `twilio` Python client against a private sandbox on a free port, one line per
operation, so a user sees what the sandbox covers (and that it works here)."""

import time
from datetime import datetime, timedelta, timezone

from .server import SandboxServer

FROM, OTHER, TO = "+15005550006", "+15017122661", "+15551234567"
TWIML = (
    '<Response><Dial><Conference>standup</Conference></Dial><Record transcribe="true"/></Response>'
)


def _describe(outcome):
    """A short note on what came back: a sid (and status), a count, or the value."""
    if isinstance(outcome, list):
        return "%d record%s" % (len(outcome), "" if len(outcome) == 1 else "s")
    if hasattr(outcome, "sid"):
        status = getattr(outcome, "status", None)
        return outcome.sid + (" " + status if isinstance(status, str) else "")
    return "" if outcome is None else str(outcome)[:60]


class Run:
    """The rows of the table: (resource, operation, result or error)."""

    def __init__(self, server, client):
        self.server, self.client, self.rows, self.failed = server, client, [], 0

    def check(self, resource, operation, action):
        try:
            outcome = action()
            self.rows.append((resource, operation, "ok", _describe(outcome)))
            return outcome
        except Exception as error:  # the table reports it; the exit status says so
            self.failed += 1
            self.rows.append((resource, operation, "FAILED", str(error).splitlines()[0][:60]))
            return None

    def today(self):
        """Midnight (UTC) of the sandbox clock's day: what a date filter names."""
        now = datetime.fromtimestamp(self.server.sandbox.scheduler.now(), timezone.utc)
        return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _messages(run):
    c = run.client
    m = run.check("Messages", "create", lambda: c.messages.create(to=TO, from_=FROM, body="hi"))
    mms = run.check(
        "Messages",
        "create with MediaUrl",
        lambda: c.messages.create(to=TO, from_=FROM, media_url=["https://x.test/cat.gif"]),
    )
    day = run.today()
    run.check("Messages", "fetch", lambda: c.messages(m.sid).fetch().status)
    run.check("Messages", "list DateSent (a day)", lambda: len(c.messages.list(date_sent=day)))
    run.check("Messages", "list To, From", lambda: len(c.messages.list(to=TO, from_=FROM)))
    media = run.check("Media", "list", lambda: c.messages(mms.sid).media.list())
    run.check(
        "Media", "list DateCreated", lambda: len(c.messages(mms.sid).media.list(date_created=day))
    )
    run.check(
        "Media", "fetch", lambda: c.messages(mms.sid).media(media[0].sid).fetch().content_type
    )
    run.check("Media", "delete", lambda: c.messages(mms.sid).media(media[0].sid).delete())
    soon = datetime.fromtimestamp(run.server.sandbox.scheduler.now(), timezone.utc) + timedelta(
        hours=1
    )
    scheduled = run.check(
        "Messages",
        "create SendAt (scheduled)",
        lambda: c.messages.create(
            to=TO,
            messaging_service_sid=run.server.settings.messaging_service_sid,
            body="later",
            schedule_type="fixed",
            send_at=soon,
        ),
    )
    run.check(
        "Messages",
        "update Status=canceled",
        lambda: c.messages(scheduled.sid).update(status="canceled").status,
    )
    run.check(
        "Messages",
        "ValidityPeriod",
        lambda: c.messages.create(to=TO, from_=FROM, body="x", validity_period=60).status,
    )
    run.check(
        "Messages",
        "delivered (clock)",
        lambda: run.server.advance_until("message", m.sid, ("delivered",)),
    )
    run.check(
        "Messages", "update Body='' (redact)", lambda: repr(c.messages(m.sid).update(body="").body)
    )
    run.check("Messages", "delete", lambda: c.messages(m.sid).delete())


def _calls(run):
    c = run.client
    call = run.check(
        "Calls", "create (Twiml)", lambda: c.calls.create(to=TO, from_=FROM, twiml=TWIML)
    )
    other = run.check(
        "Calls",
        "create (Url)",
        lambda: c.calls.create(to=TO, from_=OTHER, url="https://app.test/voice"),
    )
    run.check("Calls", "fetch", lambda: c.calls(call.sid).fetch().status)
    run.check(
        "Calls",
        "update Status=canceled",
        lambda: c.calls(other.sid).update(status="canceled").status,
    )
    run.check(
        "Calls",
        "in progress (clock)",
        lambda: run.server.advance_until("call", call.sid, ("in-progress",)),
    )
    run.check("Conferences", "list", lambda: len(c.conferences.list(status="in-progress")))
    run.check(
        "Calls",
        "completed (clock)",
        lambda: run.server.advance_until("call", call.sid, ("completed",)),
    )
    day = run.today()
    run.check("Calls", "list StartTime (a day)", lambda: len(c.calls.list(start_time=day)))
    conference = c.conferences.list()[0] if c.conferences.list() else None
    run.check("Conferences", "fetch", lambda: c.conferences(conference.sid).fetch().status)
    recordings = run.check("Recordings", "list", lambda: c.recordings.list())
    run.check("Recordings", "list DateCreated", lambda: len(c.recordings.list(date_created=day)))
    run.check("Recordings", "list of a call", lambda: len(c.calls(call.sid).recordings.list()))
    run.check("Recordings", "fetch", lambda: c.recordings(recordings[0].sid).fetch().status)
    transcriptions = run.check("Transcriptions", "list", lambda: c.transcriptions.list())
    run.check(
        "Transcriptions", "fetch", lambda: c.transcriptions(transcriptions[0].sid).fetch().status
    )
    run.check("Transcriptions", "delete", lambda: c.transcriptions(transcriptions[0].sid).delete())
    run.check("Recordings", "delete", lambda: c.recordings(recordings[0].sid).delete())
    run.check("Calls", "delete", lambda: c.calls(call.sid).delete())


def _numbers(run):
    c = run.client
    offer = run.check(
        "AvailablePhoneNumbers",
        "list Local",
        lambda: c.available_phone_numbers("US").local.list(area_code="415", limit=1),
    )
    run.check(
        "AvailablePhoneNumbers",
        "list TollFree",
        lambda: c.available_phone_numbers("US").toll_free.list(limit=1)[0].phone_number,
    )
    run.check("IncomingPhoneNumbers", "list", lambda: len(c.incoming_phone_numbers.list()))
    bought = run.check(
        "IncomingPhoneNumbers",
        "create (buy)",
        lambda: c.incoming_phone_numbers.create(phone_number=offer[0].phone_number),
    )
    run.check(
        "IncomingPhoneNumbers",
        "fetch",
        lambda: c.incoming_phone_numbers(bought.sid).fetch().phone_number,
    )
    run.check(
        "IncomingPhoneNumbers",
        "update SmsUrl",
        lambda: c.incoming_phone_numbers(bought.sid).update(sms_url="https://app.test/sms").sms_url,
    )
    run.check(
        "IncomingPhoneNumbers", "list Local", lambda: len(c.incoming_phone_numbers.local.list())
    )
    run.check(
        "IncomingPhoneNumbers",
        "list TollFree",
        lambda: len(c.incoming_phone_numbers.toll_free.list()),
    )
    run.check(
        "IncomingPhoneNumbers",
        "delete (release)",
        lambda: c.incoming_phone_numbers(bought.sid).delete(),
    )
    run.check(
        "Lookup v2",
        "fetch (national, CountryCode)",
        lambda: c.lookups.v2.phone_numbers("4155552671").fetch(country_code="US").phone_number,
    )
    run.check(
        "Lookup v2",
        "fetch Fields",
        lambda: (
            c.lookups.v2.phone_numbers(TO).fetch(fields="caller_name").caller_name["caller_name"]
        ),
    )


def _crud(run, name, listing, make, update):
    item = run.check(name, "create", make)
    run.check(name, "list", lambda: len(listing.list()))
    run.check(name, "fetch", lambda: listing(item.sid).fetch().sid)
    run.check(name, "update", lambda: update(listing(item.sid)))
    run.check(name, "delete", lambda: listing(item.sid).delete())


def _account(run):
    c = run.client
    run.check("Accounts", "fetch", lambda: c.api.v2010.accounts(c.account_sid).fetch().status)
    sub = run.check(
        "Accounts",
        "create (subaccount)",
        lambda: c.api.v2010.accounts.create(friendly_name="selftest"),
    )
    run.check("Accounts", "list", lambda: len(c.api.v2010.accounts.list()))
    run.check(
        "Accounts",
        "update",
        lambda: c.api.v2010.accounts(sub.sid).update(status="suspended").status,
    )
    _crud(
        run,
        "Keys",
        c.keys,
        lambda: c.new_keys.create(friendly_name="k"),
        lambda k: k.update(friendly_name="k2").friendly_name,
    )
    run.check("Tokens", "create", lambda: c.tokens.create(ttl=60).ttl)
    run.check("Usage Records", "list", lambda: len(c.usage.records.list(limit=5)))
    run.check("Usage Records", "list Today", lambda: len(c.usage.records.today.list()))
    _crud(
        run,
        "Usage Triggers",
        c.usage.triggers,
        lambda: c.usage.triggers.create(
            callback_url="https://app.test/u", trigger_value="10", usage_category="sms"
        ),
        lambda t: t.update(friendly_name="budget").friendly_name,
    )
    _crud(
        run,
        "Applications",
        c.applications,
        lambda: c.applications.create(friendly_name="app"),
        lambda a: a.update(voice_url="https://app.test/v").voice_url,
    )
    _crud(
        run,
        "Queues",
        c.queues,
        lambda: c.queues.create(friendly_name="q"),
        lambda q: q.update(max_size=5).max_size,
    )
    run.check(
        "OutgoingCallerIds",
        "create (validation request)",
        lambda: c.validation_requests.create(phone_number="+15558675310").validation_code,
    )
    caller = run.check("OutgoingCallerIds", "list", lambda: c.outgoing_caller_ids.list()[0])
    run.check(
        "OutgoingCallerIds", "fetch", lambda: c.outgoing_caller_ids(caller.sid).fetch().phone_number
    )
    run.check(
        "OutgoingCallerIds",
        "update",
        lambda: c.outgoing_caller_ids(caller.sid).update(friendly_name="desk").friendly_name,
    )
    run.check("OutgoingCallerIds", "delete", lambda: c.outgoing_caller_ids(caller.sid).delete())
    short = run.check("SMS ShortCodes", "list", lambda: c.short_codes.list()[0])
    run.check("SMS ShortCodes", "fetch", lambda: c.short_codes(short.sid).fetch().short_code)
    run.check(
        "SMS ShortCodes",
        "update",
        lambda: c.short_codes(short.sid).update(sms_url="https://app.test/sc").sms_url,
    )
    app = run.check("ConnectApps", "list", lambda: c.connect_apps.list()[0])
    run.check("ConnectApps", "fetch", lambda: c.connect_apps(app.sid).fetch().friendly_name)
    run.check(
        "ConnectApps",
        "update",
        lambda: c.connect_apps(app.sid).update(friendly_name="lab").friendly_name,
    )
    run.check("ConnectApps", "delete", lambda: c.connect_apps(app.sid).delete())
    _crud(
        run,
        "Messaging Services",
        c.messaging.v1.services,
        lambda: c.messaging.v1.services.create(friendly_name="alerts"),
        lambda s: s.update(friendly_name="x").friendly_name,
    )
    service = c.messaging.v1.services.create(friendly_name="numbers")
    offer = c.available_phone_numbers("US").local.list(limit=1)[0].phone_number
    pn = c.incoming_phone_numbers.create(phone_number=offer)  # ours are in the default one
    numbers = c.messaging.v1.services(service.sid).phone_numbers
    run.check(
        "Messaging Service PhoneNumbers",
        "create",
        lambda: numbers.create(phone_number_sid=pn.sid).phone_number,
    )
    run.check("Messaging Service PhoneNumbers", "list", lambda: len(numbers.list()))
    run.check(
        "Messages",
        "create via MessagingServiceSid",
        lambda: c.messages.create(to=TO, messaging_service_sid=service.sid, body="x").status,
    )
    run.check("Messaging Service PhoneNumbers", "delete", lambda: numbers(pn.sid).delete())


def _debugger(run):
    c = run.client
    call = c.calls.create(to=TO, from_=FROM, url="http://127.0.0.1:9/voice")
    run.server.advance_until("call", call.sid, ("in-progress",))
    deadline = time.monotonic() + 15
    while not c.notifications.list() and time.monotonic() < deadline:
        time.sleep(0.05)
    notice = run.check("Notifications", "list", lambda: c.notifications.list()[0])
    run.check("Notifications", "fetch", lambda: c.notifications(notice.sid).fetch().error_code)
    run.check("Monitor Alerts", "list", lambda: len(c.monitor.v1.alerts.list()))
    run.check("Monitor Alerts", "fetch", lambda: c.monitor.v1.alerts(notice.sid).fetch().error_code)


def table(rows):
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for row in rows:
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
            + "  "
            + row[3]
        )
    return "\n".join(lines)


def main():
    """Runs the self-check and prints the table; the exit status is 0 when all passed."""
    try:
        from .clients import twilio_client
    except ImportError:
        print("utwilio-sandbox --selftest needs the official client: pip install twilio")
        return 2
    with SandboxServer(step_seconds=3600) as server:
        run = Run(server, twilio_client(server.url))
        for part in (_messages, _calls, _numbers, _account, _debugger):
            try:
                part(run)
            except Exception as error:  # a failure that stopped the part: say where
                run.failed += 1
                run.rows.append((part.__name__[1:], "(stopped)", "FAILED", str(error)[:60]))
    header = [("Resource", "Operation", "Result", "Detail")]
    print(table(header + run.rows))
    print(
        "\n%d operations, %d failed, through the official twilio client %s against %s"
        % (len(run.rows), run.failed, _version(), "a private sandbox")
    )
    return 1 if run.failed else 0


def _version():
    from importlib.metadata import version

    return version("twilio")
