"""The SQLite store: group commit keeps each operation's outcome its own, and a
command is on disk when `accept` returns."""

import asyncio
import sqlite3

from utwilio_agent.sqlite_store import SQLiteStore
from utwilio_agent.store import Command


def command(i, device="greenhouse", sid=None):
    return Command("CM%032d" % i, device, "+15551234567", "+15005550006", "c%d" % i, "c%d" % i,
                   "", 1.0, 10.0**10, message_sid=sid or "SM%d" % i)


def test_a_failing_operation_does_not_spoil_its_batch(tmp_path):
    async def run():
        store = SQLiteStore(str(tmp_path / "a.db"))
        await store.open()
        good = [store.accept(command(i), None, 100, 2.0) for i in range(50)]
        # The same command id twice in one batch: the UNIQUE constraint fails that one.
        clash = store.accept(command(7, sid="SM-other"), None, 100, 2.0)
        results = await asyncio.gather(*good, clash, return_exceptions=True)
        await store.close()
        return results

    results = asyncio.run(run())
    assert [r.outcome for r in results[:50]] == ["new"] * 50
    assert isinstance(results[50], sqlite3.IntegrityError)
    # Committed: another connection sees all 50 (and not the failed one).
    db = sqlite3.connect(str(tmp_path / "a.db"))
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT message_sid) FROM commands").fetchone() == (
        50, 50)
    db.close()


def test_the_queue_cap_counts_live_commands_only(tmp_path):
    async def run():
        store = SQLiteStore(str(tmp_path / "a.db"))
        await store.open()
        outcomes = [(await store.accept(command(i), None, 3, 2.0)).outcome for i in range(4)]
        expired = await store.expire(10.0**10 + 1, lambda c: None)
        later = (await store.accept(command(9), None, 3, 10.0**10 + 1)).outcome
        await store.close()
        return outcomes, [c.id for c in expired], later

    outcomes, expired, later = asyncio.run(run())
    assert outcomes == ["new", "new", "new", "full"]
    assert expired == ["CM%032d" % i for i in range(3)]
    assert later == "new"


def test_prune_forgets_finished_history_and_keeps_waiting_commands(tmp_path):
    from utwilio_agent.store import Message

    async def run():
        store = SQLiteStore(str(tmp_path / "a.db"))
        await store.open()
        for i in range(3):
            await store.accept(command(i), None, 100, 2.0)
        await store.pending("greenhouse", 2.0, 10)
        await store.ack("greenhouse", "CM%032d" % 0, "ok", "rest", 3.0)
        await store.add_message(Message(None, "greenhouse", "alert", "+1", "+2", "x", "sent", 1.0))
        await store.add_event("EV1", "greenhouse", "boot", None, 1.0)
        await store.claim_alert("greenhouse", "k", 1.0, 10, 0)
        deleted = await store.prune(100.0)
        left = await store.overview(5.0, 10)
        await store.close()
        return deleted, left

    deleted, left = asyncio.run(run())
    # The reply queued by the ack is not sent yet: it stays, as do waiting commands.
    assert sorted(c.id for c in left["commands"]) == ["CM%032d" % i for i in (1, 2)]
    assert [m.kind for m in left["messages"]] == ["reply"]
    assert left["events"] == []
    assert deleted == 4  # a command, an alert message, an event, an alert
