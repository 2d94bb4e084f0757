"""Sends each message in args["sends"] and reports the results.
args: base_url, ca (path of a DER file, or a list) or verify=False, mode (sync | async | callback),
timeout, raise_errors, api_key, keep_alive; each send: to, message, media_url, status_callback."""

import devicetest
from utwilio import Twilio, TwilioError

a = devicetest.args()
def read(name):
    with open(name, "rb") as f:
        return f.read()


cadata = None
if isinstance(a.get("ca"), list):
    cadata = [read(name) for name in a["ca"]]
elif a.get("ca"):
    cadata = read(a["ca"])
t = Twilio(a.get("sid", "AC" + "0" * 32), a.get("token", "secret"), a.get("from", "+15550000001"),
           base_url=a["base_url"], cadata=cadata, verify=a.get("verify", True),
           timeout=a.get("timeout", 5), api_key=a.get("api_key"),
           raise_errors=a.get("raise_errors", False), keep_alive=a.get("keep_alive", False))
mode = a.get("mode", "sync")
out = []


def keep(r):
    out.append({k: r[k] for k in ("statuscode", "body", "sid", "status", "code", "message",
                                  "maybe_sent")})


def options(s):
    return {"media_url": s.get("media_url"), "status_callback": s.get("status_callback")}


def one(s):
    try:
        keep(t.send(s["to"], s["message"], **options(s)))
    except TwilioError as e:
        out.append({"raised": str(e), "status": e.status, "code": e.code})


if mode == "sync":
    with t:  # closes a connection kept by keep_alive=True
        for s in a["sends"]:
            one(s)
elif mode == "nocallbackloop":
    # A callback with no asyncio loop running: sent now, callback called, None returned.
    for s in a["sends"]:
        returned = t.send(s["to"], s["message"], keep, **options(s))
        out.append({"returned": repr(returned), "called": len(out)})
else:
    import asyncio

    async def main():
        for s in a["sends"]:
            if mode == "async":
                keep(await t.send_async(s["to"], s["message"], **options(s)))
            else:
                before = len(out)
                task = t.send(s["to"], s["message"], keep, **options(s))
                pending = len(out) == before
                await task
                out.append({"task": type(task).__name__, "pending_at_return": pending})

    asyncio.run(main())
devicetest.report(out)
