"""Sends each message in args["sends"] and reports the results.
args: base_url, ca (path of a DER file) or verify=False, mode: sync | async | callback."""

import devicetest
from utwilio import Twilio

a = devicetest.args()
cadata = None
if a.get("ca"):
    with open(a["ca"], "rb") as f:
        cadata = f.read()
t = Twilio(a.get("sid", "AC" + "0" * 32), a.get("token", "secret"), a.get("from", "+15550000001"),
           base_url=a["base_url"], cadata=cadata, verify=a.get("verify", True),
           timeout=a.get("timeout", 5), api_key=a.get("api_key"))
mode = a.get("mode", "sync")
out = []


def keep(r):
    out.append({k: r[k] for k in ("statuscode", "body", "sid", "status", "code", "message")})


if mode == "sync":
    for s in a["sends"]:
        keep(t.send(s["to"], s["message"], media_url=s.get("media_url")))
else:
    import asyncio

    async def main():
        for s in a["sends"]:
            if mode == "async":
                keep(await t.send_async(s["to"], s["message"], media_url=s.get("media_url")))
            else:
                task = t.send(s["to"], s["message"], keep)
                await task

    asyncio.run(main())
devicetest.report(out)
