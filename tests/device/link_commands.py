"""Runs the link with a fixed set of handlers until a "quit" command arrives, then
reports which handlers ran. args: see link_device.make, plus mode: run | poll | async."""

import devicetest
import link_device

a = link_device.args()
link = link_device.make(a)
ran = []
state = {"done": False}


def fan(args):
    ran.append(["fan", args])
    return "fan " + (args or "?")


def status(args):
    ran.append(["status", args])
    return "ok, " + link.command["from"]


def boom(args):
    ran.append(["boom", args])
    raise ValueError("bad speed")


def quiet(args):
    ran.append(["quiet", args])


def count(args):
    ran.append(["count", args])
    return 42


async def later(args):
    ran.append(["later", args])
    return "later " + args


def quit(args):
    ran.append(["quit", args])
    state["done"] = True
    link.stop()
    return "bye"


for name, handler in (("fan", fan), ("Status", status), ("boom", boom), ("quiet", quiet),
                      ("count", count), ("later", later), ("quit", quit)):
    link.on(name, handler)

mode = a.get("mode", "run")
if mode == "run":
    link.run()
elif mode == "poll":
    import time

    while not state["done"]:
        link.poll()
        time.sleep_ms(5)
else:
    import asyncio

    async def main():
        task = asyncio.create_task(link.run_async())
        event = await link.send_async("started", {"mode": mode})
        await task
        return event

    ran.append(["event", (asyncio.run(main()) or "none")[:2]])
counter = getattr(link.channel, "transport", None) or link.channel.conn  # HTTP or MQTT
devicetest.report({"ran": ran, "error": link.error, "failures": link.failures,
                   "command": link.command, "opened": counter.opened})
