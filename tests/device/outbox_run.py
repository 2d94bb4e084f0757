"""Drives an Outbox through args["steps"] ("send:<text>" or "flush") and reports each
step's outcome, the outbox length and its flash writes. args: base_url, sid, token,
from, to, steps."""

import devicetest
from utwilio import Twilio
from utwilio.outbox import Outbox

a = devicetest.args()
twilio = Twilio(a["sid"], a["token"], a["from"], base_url=a["base_url"], timeout=5)
outbox = Outbox(twilio, path=a.get("path", "outbox.jsonl"), limit=a.get("limit", 20))
out = []
for step in a["steps"]:
    if step == "flush":
        out.append(["flush", outbox.flush()])
    else:
        r = outbox.send(a["to"], step[5:])
        out.append([step, r["statuscode"], r["queued"], r["maybe_sent"], len(outbox)])
devicetest.report({"steps": out, "writes": outbox.writes, "dropped": outbox.dropped,
                   "refused": outbox.refused})
