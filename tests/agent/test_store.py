"""The stores, SQLite and PostgreSQL, through the Store interface: each outcome its
own, durable when returned, and (PostgreSQL) the same rules with several agents on
one database."""

import asyncio
import sqlite3

import pytest
from utwilio_agent.config import Config
from utwilio_agent.postgres_store import PostgresStore
from utwilio_agent.sqlite_store import SQLiteStore
from utwilio_agent.store import (
    SCHEMA_VERSION,
    Command,
    Message,
    SchemaTooNew,
    StoreUnavailable,
    for_config,
)

DEVICE = "greenhouse"


def command(i, device=DEVICE, sid=None, reply_wait=None):
    return Command("CM%032d" % i, device, "+15551234567", "+15005550006", "c%d" % i, "c%d" % i,
                   "", 1.0, 10.0**10, message_sid=sid or "SM%d" % i, reply_wait=reply_wait)


@pytest.fixture
def new_store(store_kind, database, tmp_path):
    """-> a function making a store on this test's database (each one a separate
    client: for PostgreSQL, as a separate agent would be)."""
    path = database if store_kind == "postgres" else str(tmp_path / "a.db")
    return lambda: for_config(Config(database=path))


async def opened(new_store, n=1):
    stores = [new_store() for _ in range(n)]
    for store in stores:
        await store.open()
    return stores


async def close(*stores):
    for store in stores:
        await store.close()


def test_the_configuration_picks_the_store(tmp_path):
    assert isinstance(for_config(Config(database=str(tmp_path / "a.db"))), SQLiteStore)
    assert isinstance(for_config(Config(database="postgresql://u@127.0.0.1:1/d")), PostgresStore)


def test_a_failing_operation_does_not_spoil_the_others(new_store):
    async def run():
        (store,) = await opened(new_store)
        good = [store.accept(command(i), None, 100, 2.0) for i in range(50)]
        # The same command id twice: the UNIQUE constraint fails that one.
        clash = store.accept(command(7, sid="SM-other"), None, 100, 2.0)
        results = await asyncio.gather(*good, clash, return_exceptions=True)
        await store.close()
        (again,) = await opened(new_store)  # committed: a new connection sees them
        seen = await again.overview(2.0, 100)
        await again.close()
        return results, seen

    results, seen = asyncio.run(run())
    assert [r.outcome for r in results[:50]] == ["new"] * 50
    assert isinstance(results[50], Exception) or results[50].outcome == "duplicate"
    assert seen["queues"] == {DEVICE: 50}
    assert len({c.message_sid for c in seen["commands"]}) == 50


def test_the_queue_cap_counts_live_commands_only(new_store):
    async def run():
        (store,) = await opened(new_store)
        outcomes = [(await store.accept(command(i), None, 3, 2.0)).outcome for i in range(4)]
        expired = await store.expire(10.0**10 + 1, lambda c: None)
        later = (await store.accept(command(9), None, 3, 10.0**10 + 1)).outcome
        await store.close()
        return outcomes, [c.id for c in expired], later

    outcomes, expired, later = asyncio.run(run())
    assert outcomes == ["new", "new", "new", "full"]
    assert expired == ["CM%032d" % i for i in range(3)]
    assert later == "new"


def test_prune_forgets_finished_history_and_keeps_waiting_commands(new_store):
    async def run():
        (store,) = await opened(new_store)
        for i in range(3):
            await store.accept(command(i), None, 100, 2.0)
        await store.pending(DEVICE, 2.0, 10)
        await store.ack(DEVICE, "CM%032d" % 0, "ok", 3.0)
        await store.add_message(Message(None, DEVICE, "alert", "+1", "+2", "x", "sent", 1.0))
        await store.add_event("EV1", DEVICE, "boot", None, 1.0)
        await store.claim_alert(DEVICE, "k", 1.0, 10, 0)
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


def test_the_reply_goes_by_twiml_only_while_the_webhook_waits(new_store):
    async def run():
        (store,) = await opened(new_store)
        for i in range(3):
            await store.accept(command(i, reply_wait=100.0), None, 100, 2.0)
        await store.pending(DEVICE, 2.0, 10)
        in_time = await store.ack(DEVICE, "CM%032d" % 0, "zero", 50.0)
        released = await store.release_reply("CM%032d" % 1)
        after_release = await store.ack(DEVICE, "CM%032d" % 1, "one", 50.0)
        too_late = await store.ack(DEVICE, "CM%032d" % 2, "two", 150.0)
        taken = await store.release_reply("CM%032d" % 0)
        again = await store.ack(DEVICE, "CM%032d" % 0, "zero", 51.0)
        await store.close()
        return in_time, released, after_release, too_late, taken, again

    in_time, released, after_release, too_late, taken, again = asyncio.run(run())
    assert in_time.command.reply_route == "twiml" and in_time.message.state == "twiml"
    assert released is True and after_release.command.reply_route == "rest"
    assert too_late.command.reply_route == "rest" and too_late.message.state == "pending"
    assert taken is False  # the ack took it: the webhook answers with the reply
    assert again.first is False


def test_the_schema_is_versioned_and_a_newer_one_refused(new_store, store_kind, database,
                                                         pg_or_none, tmp_path):
    async def run():
        (store,) = await opened(new_store)
        await store.close()
        (again,) = await opened(new_store)  # opening twice keeps the data and version
        await again.close()

    asyncio.run(run())
    if store_kind == "postgres":
        name = database.rsplit("/", 1)[1]
        assert pg_or_none.psql("SELECT version FROM schema_version", name).split() == [
            str(SCHEMA_VERSION)]
        pg_or_none.psql("UPDATE schema_version SET version = 99", name)
    else:
        db = sqlite3.connect(str(tmp_path / "a.db"))
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        db.execute("UPDATE schema_version SET version = 99")
        db.commit()
        db.close()
    with pytest.raises(SchemaTooNew, match="upgrade the agent"):
        asyncio.run(opened(new_store))


def test_a_version_1_database_from_before_the_console_is_migrated(new_store, store_kind,
                                                                   database, pg_or_none,
                                                                   tmp_path):
    """Version 2 added the console's actions table (and per-device indexes): a
    version-1 database gains them at the next start and records version 2."""
    async def create():
        await close(*await opened(new_store))

    asyncio.run(create())
    sql = "DROP TABLE actions; UPDATE schema_version SET version = 1"
    if store_kind == "postgres":
        name = database.rsplit("/", 1)[1]
        pg_or_none.psql(sql, name)
    else:
        db = sqlite3.connect(str(tmp_path / "a.db"))
        db.executescript(sql)
        db.close()

    async def run():
        (store,) = await opened(new_store)
        await store.log_action(5.0, "ops from 127.0.0.1", "sent", DEVICE, "fan on")
        actions = await store.actions(10)
        await store.close()
        return actions

    assert [a["detail"] for a in asyncio.run(run())] == ["fan on"]
    if store_kind == "postgres":
        version = pg_or_none.psql("SELECT version FROM schema_version", name).split()
    else:
        db = sqlite3.connect(str(tmp_path / "a.db"))
        version = [str(v) for (v,) in db.execute("SELECT version FROM schema_version")]
        db.close()
    assert version == [str(SCHEMA_VERSION)] == ["2"]


def test_a_sqlite_file_from_before_schema_versions_is_migrated(tmp_path, store_kind):
    if store_kind != "sqlite":
        pytest.skip("SQLite files only")
    old = sqlite3.connect(str(tmp_path / "old.db"))
    old.executescript("""
        CREATE TABLE commands (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
          device TEXT NOT NULL, message_sid TEXT UNIQUE, idempotency_token TEXT UNIQUE,
          sender TEXT NOT NULL, number TEXT NOT NULL, text TEXT NOT NULL, name TEXT NOT NULL,
          args TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL, state TEXT NOT NULL,
          deliveries INTEGER NOT NULL DEFAULT 0, reply TEXT, reply_route TEXT, acked REAL);
        CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, device TEXT,
          kind TEXT NOT NULL, command_id TEXT, to_number TEXT NOT NULL,
          from_number TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL, sid TEXT UNIQUE,
          status TEXT, error_code INTEGER, error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
          next_at REAL NOT NULL DEFAULT 0, created REAL NOT NULL, updated REAL NOT NULL);
        INSERT INTO commands (id, device, sender, number, text, name, args, created, expires,
          state) VALUES ('CMold', 'greenhouse', '+1', '+2', 'fan on', 'fan', 'on', 1, 1e10,
          'pending');
    """)
    old.close()

    async def run():
        store = SQLiteStore(str(tmp_path / "old.db"))
        await store.open()
        commands, _ = await store.pending(DEVICE, 2.0, 10)
        await store.close()
        return commands

    assert [c.id for c in asyncio.run(run())] == ["CMold"]


# -- several agents on one PostgreSQL --------------------------------------------------


@pytest.fixture
def pg_or_none(store_kind, request):
    return request.getfixturevalue("pg") if store_kind == "postgres" else None


def needs_postgres(store_kind):
    if store_kind != "postgres":
        pytest.skip("several agents share a PostgreSQL database")


def test_a_cancel_at_one_agent_and_a_poll_at_another_never_both_take_a_command(
        new_store, store_kind):
    """The console's cancel races the device's poll at another agent: each command is
    either canceled (never delivered) or delivered (too late to cancel), not both."""
    needs_postgres(store_kind)

    async def run():
        a, b = await opened(new_store, 2)
        for i in range(60):
            await a.accept(command(i), None, 100, 2.0)
        ids = [command(i).id for i in range(60)]
        results = await asyncio.gather(*[a.cancel_command(i, 3.0) for i in ids],
                                       *[b.pending(DEVICE, 3.0, 2) for _ in range(30)])
        final = [await a.command(i) for i in ids]
        await close(a, b)
        return results[:60], results[60:], final

    canceled, polls, final = asyncio.run(run())
    canceled = {c.id for c in canceled if c is not None}
    delivered = [c for commands, _ in polls for c in commands]
    assert canceled and delivered  # both sides won some
    assert canceled.isdisjoint(c.id for c in delivered)
    assert all(c.state == "pending" for c in delivered)
    for c in final:
        assert (c.state, c.deliveries == 0) in (("canceled", True), ("pending", False),
                                                ("pending", True))
        assert (c.id in canceled) == (c.state == "canceled")


def test_a_poll_waiting_on_a_cancel_s_row_lock_does_not_deliver_the_canceled_command(
        new_store, store_kind, database):
    """The poll's UPDATE meets the row a cancel holds (not yet committed) and waits;
    after the commit it must see the command canceled, not deliver it."""
    needs_postgres(store_kind)
    import asyncpg

    async def run():
        a, b = await opened(new_store, 2)
        await a.accept(command(1), None, 100, 2.0)
        await a.accept(command(2), None, 100, 2.0)
        conn = await asyncpg.connect(database)
        cancel = conn.transaction()
        await cancel.start()
        await conn.execute("UPDATE commands SET state = 'canceled' WHERE id = $1 AND "
                           "state = 'pending' AND deliveries = 0", command(1).id)
        poll = asyncio.ensure_future(b.pending(DEVICE, 3.0, 10))
        await asyncio.sleep(0.5)  # the poll now waits for the row
        await cancel.commit()
        await conn.close()
        commands, _ = await poll
        await close(a, b)
        return commands

    assert [c.id for c in asyncio.run(run())] == [command(2).id]


def test_two_agents_keep_dedupe_cap_and_per_device_order(new_store, store_kind):
    needs_postgres(store_kind)

    async def run():
        a, b = await opened(new_store, 2)
        # 40 commands, each sent twice (Twilio's retry) to the other agent, at once.
        tries = []
        for i in range(40):
            tries += [a.accept(command(i), "tok%d" % i, 30, 2.0),
                      b.accept(command(i + 1000, sid="SM%d" % i), "tok%d" % i, 30, 2.0)]
        results = await asyncio.gather(*tries)
        commands, _ = await a.pending(DEVICE, 2.0, 100)
        await close(a, b)
        return results, commands

    results, commands = asyncio.run(run())
    outcomes = [r.outcome for r in results]
    # 30 taken once each (the twin is a duplicate); the other 10 refused twice.
    assert outcomes.count("new") == 30 and outcomes.count("duplicate") == 30
    assert outcomes.count("full") == 20
    assert len({c.message_sid for c in commands}) == len(commands) == 30
    # The order delivered is the order committed: the per-device sequence.
    new = [r.command.id for r in results if r.outcome == "new"]
    assert sorted(c.id for c in commands) == sorted(new)


def test_each_outbound_message_is_claimed_by_one_agent_and_leased(new_store, store_kind):
    needs_postgres(store_kind)

    async def run():
        a, b = await opened(new_store, 2)
        for i in range(20):
            await a.add_message(Message(None, DEVICE, "reply", "+1555000%04d" % i, "+2", "r",
                                        "pending", 1.0, next_at=1.0))
        claims = await asyncio.gather(*(s.claim_message(2.0, 60.0) for s in [a, b] * 15))
        during_lease = await b.claim_message(30.0, 60.0)
        after_lease = await b.claim_message(63.0, 60.0)
        await close(a, b)
        return claims, during_lease, after_lease

    claims, during_lease, after_lease = asyncio.run(run())
    taken = [m.id for m in claims if m is not None]
    assert len(taken) == len(set(taken)) == 20
    assert all(m.attempted is None for m in claims if m is not None)
    assert during_lease is None
    # A killed agent's message goes to another after the lease, marked attempted.
    assert after_lease is not None and after_lease.attempted == 2.0


def test_alert_limits_hold_across_agents(new_store, store_kind):
    needs_postgres(store_kind)

    async def run():
        a, b = await opened(new_store, 2)
        claims = await asyncio.gather(*(s.claim_alert(DEVICE, "k%d" % i, 10.0, 5, 0)
                                        for i, s in enumerate([a, b] * 10)))
        await close(a, b)
        return claims

    claims = asyncio.run(run())
    assert sum(1 for alert_id, _ in claims if alert_id is not None) == 5


def test_a_command_accepted_on_one_agent_wakes_the_other(new_store, store_kind):
    needs_postgres(store_kind)

    async def run():
        a, b = await opened(new_store, 2)
        heard = asyncio.Queue()
        await b.listen(lambda kind, key: heard.put_nowait((kind, key)))
        await a.accept(command(1), None, 10, 2.0)
        got = await asyncio.wait_for(heard.get(), 10)
        await close(a, b)
        return got

    assert asyncio.run(run()) == ("c", DEVICE)


def test_an_unreachable_database_is_unavailable_not_an_error(store_kind):
    needs_postgres(store_kind)
    with pytest.raises(StoreUnavailable, match="unreachable"):
        asyncio.run(PostgresStore("postgresql://postgres@127.0.0.1:1/none").open())


def test_each_command_expires_once_across_agents(new_store, store_kind):
    needs_postgres(store_kind)

    async def run():
        a, b = await opened(new_store, 2)
        for i in range(30):
            await a.accept(command(i), None, 100, 2.0)
        expired = await asyncio.gather(*(s.expire(10.0**10 + 1, lambda c: "expired " + c.id)
                                         for s in [a, b, a, b]))
        notices = []
        while True:
            message = await b.claim_message(10.0**10 + 2, 60.0)
            if message is None:
                break
            notices.append(message.body)
        await close(a, b)
        return [c.id for batch in expired for c in batch], notices

    expired, notices = asyncio.run(run())
    assert sorted(expired) == ["CM%032d" % i for i in range(30)]  # each once
    assert sorted(notices) == sorted("expired " + i for i in expired)
