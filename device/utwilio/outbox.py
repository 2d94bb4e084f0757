"""Alerts that could not be sent wait on flash and go out, in order, when the network
is back.

Few flash writes: none while sends succeed; one to keep a failed alert; one per
flush(). Bounded: past `limit` alerts the oldest is dropped (counted in `dropped`).
A send that may have reached Twilio (`maybe_sent`: the request went out whole, no
answer came) is never repeated blindly, since a duplicate SMS costs money: before
resending, the outbox asks Twilio for the newest messages to that number and skips the
alert if one with the same body was created since the attempt and is not one this
outbox sent itself. The device clock must be set (NTP), as it must be for TLS anyway."""

import json
import os
import time

from utwilio import form
from utwilio.twilio import result

_MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec"
_SLACK = 30  # seconds of clock difference tolerated between the device and Twilio
_KNOWN = 10  # sids of our own recent sends, never mistaken for a lost attempt


def _transient(r):
    s = r["statuscode"]
    return s < 100 or s == 429 or s >= 500


def _epoch(y, mo, d, h, mi, s):
    """Seconds since 1970 for a UTC date (the ports' own epochs differ: 1970 or 2000)."""
    y -= mo <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    return days * 86400 + h * 3600 + mi * 60 + s


def _now():
    t = time.gmtime()
    return _epoch(t[0], t[1], t[2], t[3], t[4], t[5])


def _rfc2822(text):
    """'Mon, 23 Nov 2026 11:39:35 +0000' -> seconds since 1970."""
    p = text.split()
    h, mi, s = p[4].split(":")
    return _epoch(int(p[3]), _MONTHS.index(p[2]) // 3 + 1, int(p[1]), int(h), int(mi), int(s))


class Outbox:
    def __init__(self, twilio, path="outbox.jsonl", limit=20):
        self.twilio = twilio
        self.path = path
        self.limit = limit
        self.dropped = 0  # oldest alerts dropped because the outbox was full
        self.refused = 0  # kept alerts Twilio later refused for good (e.g. 21610)
        self.writes = 0  # flash writes, for the curious and the tests
        self._sent = []

    def send(self, to, message):
        """Twilio.send(), but an alert that fails for a reason that passes (no network,
        429, 5xx) is kept and sent later; `queued` in the result says so. Alerts already
        waiting go first, so the order is kept. Bad input raises at once."""
        new = {"to": to, "body": message, "at": _now(), "check": False}
        pending = self._load()
        if not pending:
            r = self._send(to, message)
            r["queued"] = _transient(r)
            if r["queued"]:
                new["check"] = r["maybe_sent"]
                self._append(new)
            return r
        self.twilio.message_form(to, message)  # bad input raises before it is kept
        left, last, tried = self._drain(pending + [new], True)
        if tried is new and last is not None:
            last["queued"] = bool(left)
            return last
        r = result(0, {}, "kept behind %d older alerts until the network is back" % (len(left) - 1))
        r["queued"] = True
        return r

    def flush(self):
        """Sends what is waiting, oldest first, until one fails again. -> alerts left."""
        pending = self._load()
        return len(self._drain(pending, False)[0]) if pending else 0

    def __len__(self):
        return len(self._load())

    def _drain(self, records, added):
        """Sends records in order, stopping at the first that fails for a passing reason;
        saves what is left with one write when it changed. -> (left, last result, its
        record)."""
        last = tried = None
        done = 0
        changed = added
        for rec in records:
            if rec["check"]:
                seen = self._seen(rec)
                if seen is None:
                    break  # cannot ask Twilio: the network is still down
                if seen:
                    done += 1
                    continue
            last, tried = self._send(rec["to"], rec["body"]), rec
            if _transient(last):
                if last["maybe_sent"] and not rec["check"]:
                    rec["check"] = changed = True
                break
            if last["statuscode"] >= 300:
                self.refused += 1
            done += 1
        left = records[done:]
        if done or changed:
            self._rewrite(left)
        return left, last, tried

    def _send(self, to, message):
        r = self.twilio.send(to, message)
        if r["sid"]:
            self._sent.append(r["sid"])
            if len(self._sent) > _KNOWN:
                self._sent.pop(0)
        return r

    def _seen(self, rec):
        """Did Twilio create this message since the attempt? None when it cannot tell."""
        t = self.twilio
        query = form.encode([("To", rec["to"]), ("From", t.number), ("PageSize", "5")])
        r = t.call("GET", t.messages_url + "?" + bytes(query).decode())
        if r["statuscode"] != 200 or not isinstance(r["data"], dict):
            return None
        for m in r["data"].get("messages", ()):
            if (m.get("body") == rec["body"] and m.get("sid") not in self._sent
                    and _rfc2822(m["date_created"]) >= rec["at"] - _SLACK):
                return True
        return False

    def _load(self):
        try:
            with open(self.path) as f:
                lines = f.read().split("\n")
        except OSError:
            return []
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                pass  # a torn last line after a power cut: that alert is lost, not the rest
        return records

    def _append(self, rec):
        if len(self._load()) >= self.limit:
            return self._rewrite(self._load() + [rec])
        with open(self.path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.writes += 1

    def _rewrite(self, records):
        if len(records) > self.limit:
            self.dropped += len(records) - self.limit
            records = records[-self.limit :]
        if records:
            with open(self.path, "w") as f:
                f.write("".join([json.dumps(r) + "\n" for r in records]))
        else:
            try:
                os.remove(self.path)
            except OSError:
                return
        self.writes += 1
