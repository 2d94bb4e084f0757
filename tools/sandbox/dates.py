"""Twilio's date filters on lists: DateSent, StartTime, DateCreated and their `<`/`>` forms.

Twilio documents them by day: `YYYY-MM-DD` (GMT) is that whole day, `Name<` is on or
before that day, `Name>` on or after it. The official clients send a datetime as
`2026-12-01T00:00:00Z`; only its day (in UTC) counts, so `date_sent=datetime(2026, 12, 1)`
finds the messages sent that day, as it does at Twilio.
"""

from datetime import datetime, timezone

from .errors import TwilioError

DAY = 86400


def day_start(raw, name):
    """The UTC midnight that starts the day `raw` names (a date or an ISO 8601 datetime)."""
    try:
        if len(raw) == 10:
            moment = datetime.strptime(raw, "%Y-%m-%d")
        else:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise TwilioError(
            20001,
            "Invalid %s: %r is not a date like 2026-11-23 or 2026-11-23T00:00:00Z" % (name, raw),
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    day = moment.astimezone(timezone.utc).date()
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


def by_day(records, params, name, moment):
    """`records` whose `moment(record)` (a timestamp) matches the Name, Name< and Name>
    filters in `params`."""
    for key in (name, name + "<", name + ">"):
        raw = params.get(key)
        if not raw:
            continue
        start = day_start(raw, key)
        low = float("-inf") if key.endswith("<") else start
        high = float("inf") if key.endswith(">") else start + DAY
        records = [r for r in records if low <= moment(r) < high]
    return records
