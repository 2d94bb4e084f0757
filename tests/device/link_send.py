"""Events and alerts through the link: runs each call in args["calls"] ({op: send |
alert, name, data, message, key}), blocking or (args["async"]) with asyncio, and
reports what each returned and link.error after it."""

import devicetest
import link_device

a = link_device.args()
link = link_device.make(a)
out = []


def call(c):
    if c["op"] == "send":
        return link.send(c["name"], c.get("data"))
    return link.alert(c["message"], c.get("key"))


async def call_async(c):
    if c["op"] == "send":
        return await link.send_async(c["name"], c.get("data"))
    return await link.alert_async(c["message"], c.get("key"))


def keep(value):
    if isinstance(value, str):
        value = value[:2]  # "EV…": the kind of id, not the random part
    elif isinstance(value, list):
        value = [v[:2] for v in value]
    out.append({"value": value, "error": link.error})


if a.get("async"):
    import asyncio

    async def main():
        for c in a["calls"]:
            keep(await call_async(c))

    asyncio.run(main())
else:
    for c in a["calls"]:
        keep(call(c))
devicetest.report(out)
