"""Drives utwilio.http.Transport with keep_alive through a list of steps and reports
each answer or error and the connections it opened.
args: base_url, ca (DER file) or none, steps: [{"method", "sleep"}], keep_alive."""

import time

import devicetest
from utwilio.errors import TransportError
from utwilio.http import Transport

a = devicetest.args()
cadata = None
if a.get("ca"):
    with open(a["ca"], "rb") as f:
        cadata = f.read()
headers = {"Content-Type": "application/x-www-form-urlencoded"}
out = []
with Transport(cadata=cadata, timeout=5, keep_alive=a.get("keep_alive", True)) as t:
    for step in a["steps"]:
        time.sleep(step.get("sleep", 0))
        body = b"Body=x" if step["method"] == "POST" else None
        try:
            status, _, data = t.request(step["method"], a["base_url"] + "/x", headers, body)
            out.append({"status": status, "opened": t.opened, "kept": t._conn is not None})
        except TransportError as e:
            out.append({"error": e.code, "sent": e.sent, "opened": t.opened,
                        "kept": t._conn is not None})
    kept = t._conn is not None
devicetest.report({"steps": out, "kept_inside": kept, "kept_after": t._conn is not None})
