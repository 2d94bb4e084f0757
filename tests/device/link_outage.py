"""Rounds of outages: the agent refuses connections, then resets them, then serves a
command; the link must back off, recover and handle it each round. Reports heap in use
(after gc.collect()) and open file descriptors after the rounds named in args["marks"].
args: see link_device.make, plus control (the fake agent's control URL), rounds, marks,
async (poll_async instead of poll)."""

import time

import devicetest
import link_device

a = link_device.args()
link = link_device.make(a)
handled = {"count": 0, "wrong": []}


def fan(args):
    if args != str(handled["count"]):
        handled["wrong"].append(args)
    handled["count"] += 1
    return "fan " + args


link.on("fan", fan)
marks = []
failures = {}


def control(what, body=None):
    link_device.control(a, what, body)


def step(r):
    """-> what to do next in round r, given the link's state: the outage script as a
    function, so the blocking and the asyncio loops share it."""
    if r["phase"] == "start":
        control("down")
        r["phase"], r["until"] = "refused", link.failures + 3
    elif r["phase"] == "refused" and link.failures >= r["until"]:
        control("reset")
        r["phase"], r["until"] = "reset", link.failures + 3
    elif r["phase"] == "reset" and link.failures >= r["until"]:
        control("up")
        control("add", {"name": "fan", "args": str(r["n"])})
        r["phase"] = "up"


def finish(r):
    failures[link.failures] = failures.get(link.failures, 0) + 1
    if r["n"] in a["marks"]:
        marks.append(link_device.usage())


if a.get("async"):
    import asyncio

    async def main():
        for n in range(a["rounds"]):
            r = {"n": n, "phase": "start"}
            done = 0
            while not done:
                step(r)
                done = await link.poll_async(0)
                await asyncio.sleep(0.001)
            finish(r)

    asyncio.run(main())
else:
    for n in range(a["rounds"]):
        r = {"n": n, "phase": "start"}
        done = 0
        while not done:
            step(r)
            done = link.poll(0)
            time.sleep_ms(1)
        finish(r)
devicetest.report({"handled": handled, "failures": failures, "marks": marks,
                   "error": link.error})
