"""Shutdown never hangs: a wake-up that lands in the same moment as the stop must not
swallow the cancellation of the task that waited for it.

On Python 3.11, `asyncio.wait_for(event.wait(), t)` returns the event's result when
the event was set just before the waiting task was cancelled, and the cancellation is
lost: the outbox loop then ran forever and `Agent.stop()` waited for it forever (seen
once as a lifespan shutdown stuck in the TestClient's teardown). Each test sets the
event and cancels in the same step of the loop, which is that moment, every time."""

import asyncio

from agenttest import Clock, make_config
from utwilio_agent.agent import Agent
from utwilio_agent.console.feed import Feed
from utwilio_agent.sqlite_store import SQLiteStore

ONE_STORE = True  # the race is in the loop, not in the store
BOUND = 10  # s: far above a stop's real time; only a hang reaches it


def test_stop_ends_when_the_outbox_is_woken_as_it_stops():
    async def run():
        agent = Agent(make_config(), SQLiteStore(":memory:"), Clock())
        await agent.start()
        await asyncio.sleep(0.05)  # the outbox waits for its wake-up
        tasks = list(agent._tasks)
        agent._outbox_wake.set()  # a send just finished, say
        stop = asyncio.create_task(agent.stop())
        done, _ = await asyncio.wait([stop], timeout=BOUND)
        for task in tasks:  # a hung run ends here, and the test fails below
            task.cancel()
        await asyncio.wait(tasks, timeout=BOUND)
        if not done:
            stop.cancel()
        return stop in done, [task.get_name() for task in tasks if not task.cancelled()]

    stopped, survivors = asyncio.run(run())
    assert stopped, "Agent.stop() hung"
    assert survivors == []


def test_a_page_waiting_for_changes_can_be_cancelled_as_a_change_comes():
    async def run():
        feed = Feed()
        waiter = asyncio.create_task(feed.wait(feed.version, BOUND))
        await asyncio.sleep(0.05)  # the page waits
        feed.poke()
        waiter.cancel()  # the browser went away in the same moment
        await asyncio.wait([waiter], timeout=BOUND)
        return waiter.cancelled()

    assert asyncio.run(run()), "the cancellation was swallowed"
