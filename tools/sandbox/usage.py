"""Usage Records (what the account used, computed from what it did) and Usage
Triggers (a callback when a category crosses a value)."""

from datetime import datetime

from starlette.routing import Route

from .endpoints import api, json, no_content, owned
from .errors import TwilioError
from .formats import API_VERSION, from_timestamp, is_url, new_sid, rfc2822
from .paging import paginate

ACCOUNT = "/2010-04-01/Accounts/{account_sid}"
PERIODS = {"Daily", "Monthly", "Yearly", "AllTime", "Today", "Yesterday", "ThisMonth", "LastMonth"}
RECURRING = {"": None, "daily": "%Y-%m-%d", "monthly": "%Y-%m", "yearly": "%Y", "alltime": None}
NUMBER_PRICE = 1.15


def _price(data):
    return abs(float(data["price"])) if data.get("price") else 0.0


def totals(store, account_sid, start=None, end=None):
    """category -> (count, usage, price, count_unit, usage_unit, description)."""

    def within(record):
        day = from_timestamp(record.created).strftime("%Y-%m-%d")
        return (not start or day >= start) and (not end or day <= end)

    sms = [
        r
        for r in store.all("message", account_sid)
        if within(r) and r.data["status"] not in ("scheduled", "canceled")
    ]
    texts = [r for r in sms if r.data["num_media"] == "0"]
    mms = [r for r in sms if r.data["num_media"] != "0"]
    calls = [r for r in store.all("call", account_sid) if within(r)]
    minutes = sum(
        max(1, -(-int(r.data["duration"]) // 60)) for r in calls if r.data["status"] == "completed"
    )
    numbers = store.all("incoming_phone_number", account_sid)
    recordings = [r for r in store.all("recording", account_sid) if within(r)]

    def segments(records):
        return sum(int(r.data["num_segments"]) for r in records)

    def cost(records):
        return sum(_price(r.data) for r in records)

    rows = {
        "sms": (len(texts), segments(texts), cost(texts), "messages", "segments", "SMS Messages"),
        "sms-outbound": (
            len([r for r in texts if r.data["direction"] != "inbound"]),
            segments([r for r in texts if r.data["direction"] != "inbound"]),
            cost([r for r in texts if r.data["direction"] != "inbound"]),
            "messages",
            "segments",
            "Outbound SMS",
        ),
        "sms-inbound": (
            len([r for r in texts if r.data["direction"] == "inbound"]),
            segments([r for r in texts if r.data["direction"] == "inbound"]),
            cost([r for r in texts if r.data["direction"] == "inbound"]),
            "messages",
            "segments",
            "Inbound SMS",
        ),
        "mms": (len(mms), len(mms), cost(mms), "messages", "messages", "MMS Messages"),
        "calls": (
            len(calls),
            minutes,
            sum(_price(r.data) for r in calls),
            "calls",
            "minutes",
            "Voice Minutes",
        ),
        "phonenumbers": (
            len(numbers),
            len(numbers),
            NUMBER_PRICE * len(numbers),
            "numbers",
            "numbers",
            "Phone Numbers",
        ),
        "recordings": (
            len(recordings),
            sum(int(r.data["duration"]) for r in recordings),
            sum(_price(r.data) for r in recordings),
            "recordings",
            "minutes",
            "Recordings",
        ),
    }
    total = sum(
        row[2]
        for name, row in rows.items()
        if name in ("sms", "mms", "calls", "phonenumbers", "recordings")
    )
    rows["totalprice"] = (0, total, total, "", "usd", "Total Price")
    return rows


def record_json(account_sid, category, row, start, end, now):
    count, usage, price, count_unit, usage_unit, description = row
    base = "/%s/Accounts/%s/Usage/Records" % (API_VERSION, account_sid)
    query = "?Category=%s&StartDate=%s&EndDate=%s" % (category, start, end)
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "as_of": now.isoformat(),
        "category": category,
        "count": str(count),
        "count_unit": count_unit,
        "description": description,
        "end_date": end,
        "price": "%.5f" % price,
        "price_unit": "usd",
        "start_date": start,
        "subresource_uris": {p.lower(): "%s/%s.json%s" % (base, p, query) for p in sorted(PERIODS)},
        "uri": base + ".json" + query,
        "usage": ("%.5f" % usage) if category == "totalprice" else str(usage),
        "usage_unit": usage_unit,
    }


class _Row:
    """Usage records are computed, not stored; paging needs a sid to anchor tokens."""

    def __init__(self, data):
        self.sid, self.data = data["category"], data


@api
async def _records(sandbox, request, account, params):
    now = from_timestamp(sandbox.scheduler.now())
    today = now.strftime("%Y-%m-%d")
    start = params.get("StartDate") or from_timestamp(
        sandbox.store.get("account", account.sid).created
    ).strftime("%Y-%m-%d")
    end = params.get("EndDate") or today
    for name, value in (("StartDate", start), ("EndDate", end)):
        try:
            datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            raise TwilioError(
                20001, "%s must be a date like 2026-11-23, got %r" % (name, value)
            ) from None
    rows = totals(sandbox.store, account.sid, start, end)
    if params.get("Category"):
        if params["Category"] not in rows:
            raise TwilioError(
                20001,
                "Unknown Category %r; known: %s" % (params["Category"], ", ".join(sorted(rows))),
            )
        rows = {params["Category"]: rows[params["Category"]]}
    records = [
        _Row(record_json(account.sid, name, row, start, end, now)) for name, row in rows.items()
    ]
    return json(paginate(params, records, request.url.path, "usage_records", lambda r: r.data))


def _current(sandbox, trigger):
    row = totals(sandbox.store, trigger.account_sid)[trigger.data["usage_category"]]
    by = trigger.data["trigger_by"]
    value = row[0] if by == "count" else row[2] if by == "price" else row[1]
    return "%g" % value if by != "price" else "%.5f" % value


async def check_triggers(sandbox, account_sid):
    """Fire each trigger whose category has reached its value (once per period)."""
    now = from_timestamp(sandbox.scheduler.now())
    for trigger in sandbox.store.all("usage_trigger", account_sid):
        current = _current(sandbox, trigger)
        trigger.data["current_value"] = current
        pattern = RECURRING[trigger.data["recurring"] or ""]
        period = now.strftime(pattern) if pattern else "once"
        if float(current) < float(trigger.data["trigger_value"]):
            sandbox.store.update(trigger)
            continue
        if trigger.private.get("fired_period") == period:
            continue
        trigger.private["fired_period"] = period
        trigger.data["date_fired"] = rfc2822(now)
        sandbox.store.update(trigger)
        data = trigger.data
        params = [
            ("AccountSid", account_sid),
            ("UsageTriggerSid", data["sid"]),
            ("DateFired", data["date_fired"]),
            ("Recurring", data["recurring"] or ""),
            ("UsageCategory", data["usage_category"]),
            ("TriggerBy", data["trigger_by"]),
            ("TriggerValue", data["trigger_value"]),
            ("CurrentValue", current),
            ("UsageRecordUri", data["usage_record_uri"]),
            ("IdempotencyToken", "%s-%s" % (data["sid"], period)),
        ]
        await sandbox.webhook(
            account_sid,
            data["callback_url"],
            params,
            method=data["callback_method"],
            resource_sid=data["sid"],
        )


@api
async def _triggers(sandbox, request, account, params):
    if request.method == "GET":
        records = sandbox.store.all("usage_trigger", account.sid)
        for name, field in (
            ("Recurring", "recurring"),
            ("TriggerBy", "trigger_by"),
            ("UsageCategory", "usage_category"),
        ):
            if params.get(name):
                records = [r for r in records if r.data[field] == params[name]]
        return json(paginate(params, records, request.url.path, "usage_triggers", lambda r: r.data))
    for name in ("CallbackUrl", "TriggerValue", "UsageCategory"):
        if not params.get(name):
            raise TwilioError(21201 if name != "CallbackUrl" else 21205, "%s is required" % name)
    if not is_url(params["CallbackUrl"]):
        raise TwilioError(21205, "CallbackUrl is not a valid URL: %s" % params["CallbackUrl"])
    category = params["UsageCategory"]
    if category not in totals(sandbox.store, account.sid):
        raise TwilioError(20001, "Unknown UsageCategory %r" % category)
    try:
        float(params["TriggerValue"])
    except ValueError:
        raise TwilioError(
            20001, "TriggerValue must be a number, got %r" % params["TriggerValue"]
        ) from None
    recurring = params.get("Recurring") or ""
    if recurring not in RECURRING:
        raise TwilioError(20001, "Recurring must be daily, monthly, yearly or alltime")
    trigger_by = params.get("TriggerBy") or "usage"
    if trigger_by not in ("count", "usage", "price"):
        raise TwilioError(20001, "TriggerBy must be count, usage or price")
    sid = new_sid("UT")
    now = rfc2822(from_timestamp(sandbox.scheduler.now()))
    base = "/%s/Accounts/%s/Usage" % (API_VERSION, account.sid)
    data = {
        "account_sid": account.sid,
        "api_version": API_VERSION,
        "callback_method": (params.get("CallbackMethod") or "POST").upper(),
        "callback_url": params["CallbackUrl"],
        "current_value": "0",
        "date_created": now,
        "date_fired": None,
        "date_updated": now,
        "friendly_name": params.get("FriendlyName") or "",
        "recurring": recurring or None,
        "sid": sid,
        "trigger_by": trigger_by,
        "trigger_value": params["TriggerValue"],
        "uri": "%s/Triggers/%s.json" % (base, sid),
        "usage_category": category,
        "usage_record_uri": "%s/Records.json?Category=%s" % (base, category),
    }
    record = sandbox.store.insert("usage_trigger", sid, account.sid, data)
    record.data["current_value"] = _current(sandbox, record)
    sandbox.store.update(record)
    sandbox.scheduler.after(0, lambda: check_triggers(sandbox, account.sid))
    return json(record.data, 201)


@api
async def _trigger(sandbox, request, account, params):
    record = owned(
        sandbox.store, "usage_trigger", request.path_params["sid"], account, request.url.path
    )
    if request.method == "DELETE":
        sandbox.store.delete("usage_trigger", record.sid)
        return no_content()
    if request.method == "POST":
        for name, field in (
            ("CallbackUrl", "callback_url"),
            ("FriendlyName", "friendly_name"),
            ("CallbackMethod", "callback_method"),
        ):
            if params.get(name) is not None:
                record.data[field] = params[name]
        record.data["date_updated"] = rfc2822(from_timestamp(sandbox.scheduler.now()))
        sandbox.store.update(record)
    return json(record.data)


def routes():
    return [
        Route(ACCOUNT + "/Usage/Records.json", _records, methods=["GET"]),
        Route(ACCOUNT + "/Usage/Records/{period}.json", _records, methods=["GET"]),
        Route(ACCOUNT + "/Usage/Triggers.json", _triggers, methods=["GET", "POST"]),
        Route(ACCOUNT + "/Usage/Triggers/{sid}.json", _trigger, methods=["GET", "POST", "DELETE"]),
    ]
