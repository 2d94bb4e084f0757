"""Cancels run_async() tasks in the middle of their long-poll, args["n"] times, and
reports heap in use and open descriptors after the cancels numbered in args["marks"].
args: see link_device.make, plus control (the fake agent's control URL), n, marks."""

import asyncio

import devicetest
import link_device

a = link_device.args()
link = link_device.make(a)


def polls():
    return link_device.control(a, "state")["polls"]


async def main():
    marks = []
    cancelled = 0
    for i in range(a["n"]):
        before = polls()
        task = asyncio.create_task(link.run_async())
        while polls() == before:
            await asyncio.sleep(0.005)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            cancelled += 1
        if i in a["marks"]:
            marks.append(link_device.usage())
    return {"cancelled": cancelled, "marks": marks, "error": link.error}


devicetest.report(asyncio.run(main()))
