"""The shared store: PostgreSQL, for several agents on one database (asyncpg).

Every rule that one process kept in memory is kept by PostgreSQL here:
- dedupe: UNIQUE MessageSid and idempotency token (INSERT … ON CONFLICT DO NOTHING);
- per-device order and the queue cap: the device's row in `queues` is locked (an
  upsert that takes the next per-device sequence number) for the rest of the accept
  (one statement: postgres_schema.ACCEPT), so the order devices see is the commit order;
- the outbox: one message per claim, `FOR UPDATE SKIP LOCKED`, leased by moving its
  next attempt past the lease (a killed agent's message is taken again after it);
- the TwiML reply: the waiting webhook and the ack meet in one UPDATE each on the
  command's row (`reply_wait`): whichever comes first decides the route;
- alerts: the rate limit and cool-down under a per-device advisory lock;
- wake-ups: LISTEN/NOTIFY on one channel, sent after the commit (a NOTIFY inside the
  accept transaction takes a global lock at commit), batched per event-loop turn.

The driver is asyncpg rather than psycopg 3: asyncio-native (the agent is), the binary
protocol with prepared statements cached per connection, LISTEN through a callback,
COPY for `db copy`, and no libpq to install (its wheels carry everything)."""

import asyncio
import json
import os

import asyncpg

from . import logs
from .postgres_schema import ACCEPT, SCHEMA
from .store import (
    CANCELED,
    DONE,
    EXPIRED,
    NOTICE_DEVICE,
    NOTICE_DEVICES,
    NOTICE_REPLY,
    OUT_FAILED,
    OUT_PENDING,
    OUT_SENT,
    OUT_TWIML,
    PENDING,
    ROUTE_NONE,
    ROUTE_REST,
    ROUTE_TWIML,
    SCHEMA_VERSION,
    Accepted,
    Acked,
    Command,
    Message,
    SchemaTooNew,
    Store,
    StoreUnavailable,
)

CHANNEL = "utwilio_agent"
PAYLOAD_MAX = 7000  # bytes per NOTIFY (PostgreSQL's limit is 8000)
POOL_SIZE = 20
# Lock ids for pg_advisory_xact_lock: creating the schema; alerts take (ALERTS, device).
SCHEMA_LOCK, ALERT_LOCK = 0x75747769, 0x75747770

COMMAND_COLUMNS = (
    "id, device, sender, number, text, name, args, created, expires, message_sid, state, "
    "deliveries, reply, reply_route, acked, seq, reply_wait"
)
MESSAGE_COLUMNS = (
    "id, device, kind, to_number, from_number, body, state, created, command_id, sid, status, "
    "error_code, error, attempts, next_at, attempted"
)
EVENT_COLUMNS = "id, device, name, data::text, created"
STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "receiving": 3,
    "received": 4, "delivered": 4, "undelivered": 4, "failed": 4, "read": 5, "canceled": 5,
}
# Errors that say the database is not reachable now, not that the request was wrong.
UNAVAILABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
)


def _command(row):
    return Command(*row)


def _message(row):
    return Message(*row)


class PostgresStore(Store):
    def __init__(self, url):
        self.url = url
        self.agent_id = os.urandom(6).hex()  # its own NOTIFYs are not wake-ups for it
        self._pool = None
        self._listener = None
        self._callback = None
        self._notices = set()
        self._flushing = None

    async def open(self):
        try:
            self._pool = await asyncpg.create_pool(
                self.url, min_size=1, max_size=POOL_SIZE, command_timeout=30, reset=_as_is)
        except UNAVAILABLE as error:
            raise StoreUnavailable("the database is unreachable: %s" % error) from error
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
            exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
            version = await conn.fetchval("SELECT version FROM schema_version") if exists else None
            if version is not None and version > SCHEMA_VERSION:
                raise SchemaTooNew("the database has schema version %d; this agent knows up to "
                                   "%d: upgrade the agent" % (version, SCHEMA_VERSION))
            await conn.execute(SCHEMA)  # a version-1 database gains the console's parts
            await conn.execute(ACCEPT)
            if version is None:
                await conn.execute("INSERT INTO schema_version (version) VALUES ($1)",
                                   SCHEMA_VERSION)
                await conn.execute("INSERT INTO meta (key, value) VALUES ('devices', 0) "
                                   "ON CONFLICT DO NOTHING")
            elif version < SCHEMA_VERSION:
                await conn.execute("UPDATE schema_version SET version = $1", SCHEMA_VERSION)

    async def close(self):
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)
        if self._listener is not None:
            await self._listener.close(timeout=2)
            self._listener = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    # -- wake-ups between agents -----------------------------------------------------

    async def listen(self, callback):
        """(Re)connects the LISTEN connection; the housekeeping tick calls it again
        after the database went away (its fallback covers what was missed)."""
        self._callback = callback
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            self._listener = await asyncpg.connect(self.url, timeout=5)
            await self._listener.add_listener(CHANNEL, self._heard)
        except UNAVAILABLE as error:
            self._listener = None
            logs.warning("store.listen_failed", error=str(error)[:200])

    def _heard(self, connection, pid, channel, payload):
        sender, _, notices = payload.partition("|")
        if sender == self.agent_id or self._callback is None:
            return
        for notice in notices.split(","):
            kind, _, key = notice.partition(":")
            if key or kind == NOTICE_DEVICES:
                self._callback(kind, key)

    def _notify(self, kind, key=""):
        """Queues a wake-up for the other agents, sent after this turn's commits."""
        self._notices.add("%s:%s" % (kind, key))
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self):
        try:
            await asyncio.sleep(0)  # let this turn's other commits add theirs
            while self._notices:
                notices, self._notices = self._notices, set()
                # On the listening connection when it is up: a wake-up never waits for a
                # pool connection behind a burst of accepts.
                conn = self._listener
                if conn is None or conn.is_closed():
                    conn = self._pool
                for payload in _payloads(self.agent_id, sorted(notices)):
                    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
        except Exception as error:  # the tick's fallback finds what a lost NOTIFY told
            logs.warning("store.notify_failed", error=str(error)[:200])
            self._notices.clear()
        finally:
            self._flushing = None

    # -- helpers -----------------------------------------------------------------------

    async def _run(self, work, *args, transaction=True):
        """Runs `work(conn, *args)` in one transaction (or, for work of one statement,
        in that statement's own); an unreachable database is StoreUnavailable (a 503:
        Twilio retries)."""
        try:
            async with self._pool.acquire() as conn:
                if not transaction:
                    return await work(conn, *args)
                async with conn.transaction():
                    return await work(conn, *args)
        except UNAVAILABLE as error:
            raise StoreUnavailable("the database is unreachable: %s" % error) from error

    # -- devices -------------------------------------------------------------------------

    async def put_device(self, device_id, token_hash, now):
        async def work(conn):
            created = await conn.fetchval(
                "INSERT INTO devices (id, token_hash, created) VALUES ($1, $2, $3) "
                "ON CONFLICT (id) DO UPDATE SET token_hash = EXCLUDED.token_hash "
                "RETURNING xmax = 0", device_id, token_hash, now)
            await conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'devices'")
            return created

        created = await self._run(work)
        self._notify(NOTICE_DEVICES)
        return created

    async def devices(self):
        async def work(conn):
            rows = await conn.fetch(
                "SELECT id, token_hash, created, last_seen FROM devices ORDER BY id")
            return {r[0]: (bytes(r[1]), r[2], r[3]) for r in rows}

        return await self._run(work)

    async def remove_device(self, device_id):
        async def work(conn):
            removed = await conn.fetchval(
                "DELETE FROM devices WHERE id = $1 RETURNING true", device_id) is not None
            if removed:
                await conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'devices'")
            return removed

        removed = await self._run(work)
        if removed:
            self._notify(NOTICE_DEVICES)
        return removed

    async def seen(self, last_seen):
        async def work(conn):
            await conn.executemany(
                "UPDATE devices SET last_seen = GREATEST(COALESCE(last_seen, 0), $1) "
                "WHERE id = $2", [(t, d) for d, t in last_seen.items()])

        await self._run(work)

    # -- commands ------------------------------------------------------------------------

    async def accept(self, command, idempotency_token, queue_cap, now):
        accepted = await self._run(_accept, command, idempotency_token or None, queue_cap, now,
                                   transaction=False)
        if accepted.outcome == "new":
            self._notify(NOTICE_DEVICE, command.device)
        return accepted

    async def pending(self, device_id, now, limit):
        return await self._run(_pending, device_id, now, limit, transaction=False)

    async def ack(self, device_id, command_id, reply, now):
        acked = await self._run(_ack, device_id, command_id, reply, now, transaction=False)
        if acked is not None and acked.first and acked.command.reply_route == ROUTE_TWIML:
            self._notify(NOTICE_REPLY, command_id)
        return acked

    async def release_reply(self, command_id):
        async def work(conn):
            return await conn.fetchval(
                "UPDATE commands SET reply_wait = NULL WHERE id = $1 AND reply_wait IS NOT NULL "
                "RETURNING true", command_id) is not None

        return await self._run(work)

    async def command(self, command_id):
        async def work(conn):
            row = await conn.fetchrow(
                "SELECT %s FROM commands WHERE id = $1" % COMMAND_COLUMNS, command_id)
            return _command(row) if row else None

        return await self._run(work)

    async def expire(self, now, notice):
        return await self._run(_expire, now, notice)

    # -- outbound messages -------------------------------------------------------------

    async def add_message(self, message):
        return await self._run(_insert_message, message)

    async def claim_message(self, now, lease):
        async def work(conn):
            row = await conn.fetchrow(
                "WITH claimed AS (SELECT id, attempted FROM messages WHERE state = $3 "
                " AND next_at <= $1 ORDER BY next_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
                "UPDATE messages AS m SET next_at = $2, attempted = COALESCE(m.attempted, $1) "
                "FROM claimed WHERE m.id = claimed.id RETURNING %s, claimed.attempted"
                % ", ".join("m." + c for c in MESSAGE_COLUMNS.split(", ")[:-1]),
                now, now + lease, OUT_PENDING)
            return _message(row) if row else None  # attempted: as it was before this claim

        return await self._run(work)

    async def message_sent(self, message_id, sid, status, now):
        async def work(conn):
            await conn.execute(
                "UPDATE messages SET state = $1, sid = $2, status = $3, error_code = NULL, "
                "error = NULL, attempts = attempts + 1, updated = $4 WHERE id = $5",
                OUT_SENT, sid, status, now, message_id)

        await self._run(work)

    async def message_failed(self, message_id, code, error, now, retry_at=None,
                             attempted=None):
        async def work(conn):
            await conn.execute(
                "UPDATE messages SET state = $1, error_code = $2, error = $3, "
                "attempts = attempts + 1, next_at = $4, updated = $5, "
                "attempted = $6 WHERE id = $7",
                OUT_PENDING if retry_at is not None else OUT_FAILED, code, error,
                retry_at if retry_at is not None else now, now, attempted, message_id)

        await self._run(work)

    async def known_sids(self, sids):
        async def work(conn):
            rows = await conn.fetch("SELECT sid FROM messages WHERE sid = ANY($1)", list(sids))
            return {r[0] for r in rows}

        return await self._run(work)

    async def message_status(self, sid, status, error_code, now):
        message = await self._run(_message_status, sid, status, error_code, now)
        if message is not None and message.device:
            self._notify(NOTICE_DEVICE, message.device)
        return message

    # -- events and alerts -------------------------------------------------------------

    async def add_event(self, event_id, device_id, name, data, now):
        async def work(conn):
            await conn.execute(
                "INSERT INTO events (id, device, name, data, created) VALUES ($1, $2, $3, "
                "$4::jsonb, $5)", event_id, device_id, name, json.dumps(data), now)
            return event_id

        return await self._run(work)

    async def claim_alert(self, device_id, key, now, per_hour, cooldown):
        return await self._run(_claim_alert, device_id, key, now, per_hour, cooldown)

    async def release_alert(self, alert_id):
        async def work(conn):
            await conn.execute("DELETE FROM alerts WHERE id = $1", alert_id)

        await self._run(work)

    # -- operations ----------------------------------------------------------------------

    async def overview(self, now, limit):
        return await self._run(_overview, now, limit)

    async def prune(self, before):
        return await self._run(_prune, before)

    async def changes(self, after_seq, waiting, now):
        async def work(conn):
            version = await conn.fetchval("SELECT value FROM meta WHERE key = 'devices'")
            devices = set()
            if waiting:
                rows = await conn.fetch(
                    "SELECT DISTINCT device FROM commands WHERE device = ANY($1) AND state = $2 "
                    "AND expires > $3 UNION SELECT DISTINCT device FROM statuses "
                    "WHERE device = ANY($1) AND NOT forwarded", list(waiting), PENDING, now)
                devices = {r[0] for r in rows}
            return version, devices

        version, devices = await self._run(work)
        devices_changed = version != after_seq
        if not devices and not devices_changed:
            return None
        return version, devices, devices_changed

    # -- the console -------------------------------------------------------------------

    async def device_summaries(self, device_ids, now, events_per_device):
        return await self._run(_device_summaries, list(device_ids), now, events_per_device,
                               transaction=False)

    async def device_history(self, device_id, limit, before=None):
        return await self._run(_device_history, device_id, limit,
                               float("inf") if before is None else before, transaction=False)

    async def device_timeline(self, device_id, since, limit):
        return await self._run(_device_timeline, device_id, since, limit, transaction=False)

    async def cancel_command(self, command_id, now):
        async def work(conn):
            row = await conn.fetchrow(
                "UPDATE commands SET state = $1, acked = $2 WHERE id = $3 AND state = $4 "
                "AND deliveries = 0 RETURNING %s" % COMMAND_COLUMNS,
                CANCELED, now, command_id, PENDING)
            return _command(row) if row else None

        return await self._run(work, transaction=False)

    async def retry_command(self, command_id, new_id, now, ttl, queue_cap):
        async def work(conn):
            old = await _find(conn, "id = $1 AND state IN ($2, $3)", command_id, EXPIRED,
                              CANCELED)
            if old is None:
                return None
            copy = Command(new_id, old.device, old.sender, old.number, old.text, old.name,
                           old.args, now, now + ttl)
            return await _accept(conn, copy, None, queue_cap, now)

        accepted = await self._run(work, transaction=False)
        if accepted is not None and accepted.outcome == "new":
            self._notify(NOTICE_DEVICE, accepted.command.device)
        return accepted

    async def log_action(self, at, who, action, device_id, detail):
        async def work(conn):
            await conn.execute(
                "INSERT INTO actions (at, who, action, device, detail) "
                "VALUES ($1, $2, $3, $4, $5)", at, who, action, device_id, detail)

        await self._run(work, transaction=False)

    async def actions(self, limit):
        async def work(conn):
            return [dict(r) for r in await conn.fetch(
                "SELECT at, who, action, device, detail FROM actions ORDER BY id DESC "
                "LIMIT $1", limit)]

        return await self._run(work, transaction=False)


async def _as_is(conn):
    """The pool's connections hold no session state (no LISTEN, SET or session lock:
    the listener has its own connection), so the reset query each release would send
    is a round trip saved."""


def _payloads(agent_id, notices):
    """Notices joined into NOTIFY payloads under PostgreSQL's size limit."""
    chunk = []
    size = 0
    for notice in notices:
        if chunk and size + len(notice) + 1 > PAYLOAD_MAX:
            yield agent_id + "|" + ",".join(chunk)
            chunk, size = [], 0
        chunk.append(notice)
        size += len(notice.encode()) + 1
    if chunk:
        yield agent_id + "|" + ",".join(chunk)


async def _find(conn, where, *args):
    row = await conn.fetchrow("SELECT %s FROM commands WHERE %s" % (COMMAND_COLUMNS, where), *args)
    return _command(row) if row else None


async def _duplicate(conn, command, token):
    found = None
    if command.message_sid:
        found = await _find(conn, "message_sid = $1", command.message_sid)
    if found is None and token:
        found = await _find(conn, "idempotency_token = $1", token)
    return found


async def _accept(conn, command, token, queue_cap, now):
    outcome, seq = await conn.fetchrow(
        "SELECT outcome, command_seq FROM utwilio_accept($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10, $11, $12, $13, $14)", command.id, command.device, command.message_sid, token,
        command.sender, command.number, command.text, command.name, command.args,
        command.created, command.expires, command.reply_wait, queue_cap, now)
    if outcome == "duplicate":
        return Accepted(outcome, await _find(conn, "seq = $1", seq))
    if outcome == "full":
        return Accepted(outcome)
    command.seq = seq
    command.state = PENDING
    return Accepted(outcome, command)


async def _pending(conn, device_id, now, limit):
    # FOR UPDATE: the rows are locked in the queue's order (two polls of one device
    # never deadlock), and a row that a cancel or the expiry held is read again once
    # committed, and left if it is no longer live.
    rows = await conn.fetch(
        "UPDATE commands SET deliveries = deliveries + 1 WHERE seq IN ("
        " SELECT seq FROM commands WHERE device = $1 AND state = $2 AND expires > $3"
        " ORDER BY device_seq LIMIT $4 FOR UPDATE) RETURNING device_seq, %s" % COMMAND_COLUMNS,
        device_id, PENDING, now, limit)
    commands = [_command(row[1:]) for row in sorted(rows, key=lambda r: r[0])]
    rows = await conn.fetch(
        "UPDATE statuses SET forwarded = true WHERE seq IN ("
        " SELECT seq FROM statuses WHERE device = $1 AND NOT forwarded ORDER BY seq LIMIT $2"
        " FOR UPDATE SKIP LOCKED) RETURNING seq, sid, status, error_code, kind, command_id",
        device_id, limit)
    statuses = [
        {"sid": sid, "status": status, "error_code": error_code, "kind": kind,
         "command_id": command_id}
        for _, sid, status, error_code, kind, command_id in sorted(rows)
    ]
    return commands, statuses


async def _insert_message(conn, message):
    message.id = await conn.fetchval(
        "INSERT INTO messages (device, kind, command_id, to_number, from_number, body, state, "
        "sid, status, error_code, error, attempts, next_at, created, updated) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
        message.device, message.kind, message.command_id, message.to, message.sender,
        message.body, message.state, message.sid, message.status, message.error_code,
        message.error, message.attempts, message.next_at, message.created)
    return message


async def _ack(conn, device_id, command_id, reply, now):
    """One statement: the command done and, for a reply to send, its message queued."""
    row = await conn.fetchrow(
        "WITH done AS (UPDATE commands SET state = $3, reply = $4, acked = $5, "
        " reply_wait = NULL, reply_route = CASE WHEN $4::text IS NULL OR number = '' THEN $6 "
        " WHEN reply_wait > $5 THEN $7 ELSE $8 END "
        " WHERE id = $1 AND device = $2 AND state <> $3 AND deliveries > 0 "
        " RETURNING %s), "
        "queued AS (INSERT INTO messages (device, kind, command_id, to_number, from_number, "
        " body, state, next_at, created, updated) SELECT device, 'reply', id, sender, number, "
        " reply, CASE WHEN reply_route = $7 THEN $9 ELSE $10 END, $5, $5, $5 FROM done "
        " WHERE reply_route <> $6 RETURNING id, state) "
        "SELECT done.*, queued.id AS message_id, queued.state AS message_state "
        "FROM done LEFT JOIN queued ON true" % COMMAND_COLUMNS,
        command_id, device_id, DONE, reply, now, ROUTE_NONE, ROUTE_TWIML, ROUTE_REST,
        OUT_TWIML, OUT_PENDING)
    if row is None:
        command = await _find(conn, "id = $1 AND device = $2", command_id, device_id)
        if command is None or command.deliveries == 0:
            return None
        return Acked(command, False)
    command = _command(tuple(row)[:-2])
    message = None
    if row["message_id"] is not None:
        message = Message(row["message_id"], device_id, "reply", command.sender, command.number,
                          reply, row["message_state"], now, command_id=command.id, next_at=now)
    return Acked(command, True, message)


async def _expire(conn, now, notice):
    rows = await conn.fetch(
        "UPDATE commands SET state = $1 WHERE seq IN ("
        " SELECT seq FROM commands WHERE state = $2 AND expires <= $3 ORDER BY seq LIMIT 1000"
        " FOR UPDATE SKIP LOCKED) AND state = $2 RETURNING %s" % COMMAND_COLUMNS,
        EXPIRED, PENDING, now)
    commands = sorted(map(_command, rows), key=lambda c: c.seq)
    for command in commands:
        text = notice(command) if command.number else None
        if text:
            await _insert_message(conn, Message(
                None, command.device, "expired", command.sender, command.number, text,
                OUT_PENDING, now, command_id=command.id, next_at=now,
            ))
    return commands


async def _message_status(conn, sid, status, error_code, now):
    row = await conn.fetchrow(
        "SELECT %s FROM messages WHERE sid = $1 FOR UPDATE" % MESSAGE_COLUMNS, sid)
    if row is None:
        return None
    message = _message(row)
    if STATUS_RANK.get(status, 0) >= STATUS_RANK.get(message.status, 0):
        await conn.execute(
            "UPDATE messages SET status = $1, error_code = $2, updated = $3 WHERE id = $4",
            status, error_code, now, message.id)
        message.status, message.error_code = status, error_code
    if message.device:
        await conn.execute(
            "INSERT INTO statuses (device, sid, status, error_code, kind, command_id, at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            message.device, sid, status, error_code, message.kind, message.command_id, now)
    return message


async def _claim_alert(conn, device_id, key, now, per_hour, cooldown):
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", ALERT_LOCK, device_id)
    if cooldown > 0:
        last = await conn.fetchval(
            "SELECT max(at) FROM alerts WHERE device = $1 AND key = $2", device_id, key)
        if last is not None and now - last < cooldown:
            return None, cooldown - (now - last)
    recent = [r[0] for r in await conn.fetch(
        "SELECT at FROM alerts WHERE device = $1 AND at > $2 ORDER BY at DESC",
        device_id, now - 3600)]
    if len(recent) >= per_hour:
        oldest = recent[per_hour - 1] if per_hour else now
        return None, max(oldest + 3600 - now, 1)
    alert_id = await conn.fetchval(
        "INSERT INTO alerts (device, key, at) VALUES ($1, $2, $3) RETURNING id",
        device_id, key, now)
    return alert_id, 0


async def _prune(conn, before):
    deleted = 0
    for sql in (
        "DELETE FROM commands WHERE state <> 'pending' AND created < $1",
        "DELETE FROM messages WHERE state <> 'pending' AND created < $1",
        "DELETE FROM statuses WHERE forwarded AND at < $1",
        "DELETE FROM events WHERE created < $1",
        "DELETE FROM alerts WHERE at < $1",
        "DELETE FROM actions WHERE at < $1",
    ):
        status = await conn.execute(sql, before)
        deleted += int(status.split()[-1])
    return deleted


async def _overview(conn, now, limit):
    queues = {r[0]: r[1] for r in await conn.fetch(
        "SELECT device, count(*) FROM commands WHERE state = $1 AND expires > $2 "
        "GROUP BY device", PENDING, now)}
    commands = [_command(r) for r in await conn.fetch(
        "SELECT %s FROM commands ORDER BY seq DESC LIMIT $1" % COMMAND_COLUMNS, limit)]
    messages = [_message(r) for r in await conn.fetch(
        "SELECT %s FROM messages ORDER BY id DESC LIMIT $1" % MESSAGE_COLUMNS, limit)]
    events = _events(await conn.fetch(
        "SELECT %s FROM events ORDER BY seq DESC LIMIT $1" % EVENT_COLUMNS, limit))
    return {"queues": queues, "commands": commands, "messages": messages, "events": events}


# -- the console -------------------------------------------------------------------------


def _events(rows):
    return [{"id": r[0], "device": r[1], "name": r[2],
             "data": json.loads(r[3]) if r[3] is not None else None, "created": r[4]}
            for r in rows]


async def _device_summaries(conn, device_ids, now, events_per_device):
    """Every card in one statement (one round trip however many devices): a lateral
    join per device for its last command and its newest events."""
    rows = await conn.fetch(
        "SELECT d.id, "
        " (SELECT count(*) FROM commands WHERE device = d.id AND state = $2 AND expires > $3), "
        " (SELECT count(*) FROM alerts WHERE device = d.id AND at > $3 - 3600), "
        " (SELECT last_seen FROM devices WHERE id = d.id), "
        " (SELECT coalesce(json_agg(json_build_array(e.id, e.device, e.name, e.data, e.created)"
        "  ORDER BY e.created DESC, e.seq DESC), '[]')::text FROM (SELECT * FROM events "
        "  WHERE device = d.id ORDER BY created DESC, seq DESC LIMIT $4) AS e), "
        " %s FROM unnest($1::text[]) AS d(id) LEFT JOIN LATERAL (SELECT * FROM commands "
        " WHERE device = d.id ORDER BY seq DESC LIMIT 1) AS c ON true"
        % ", ".join("c." + column for column in COMMAND_COLUMNS.split(", ")),
        device_ids, PENDING, now, events_per_device)
    return {
        row[0]: {"queued": row[1], "alerts_hour": row[2], "last_seen": row[3],
                 "events": [{"id": e, "device": d, "name": n, "data": data, "created": c}
                            for e, d, n, data, c in json.loads(row[4])],
                 "last_command": _command(row[5:]) if row[5] is not None else None}
        for row in rows
    }


async def _device_history(conn, device_id, limit, before):
    commands = [_command(r) for r in await conn.fetch(
        "SELECT %s FROM commands WHERE device = $1 AND created < $2 ORDER BY seq DESC LIMIT $3"
        % COMMAND_COLUMNS, device_id, before, limit)]
    messages = [_message(r) for r in await conn.fetch(
        "SELECT %s FROM messages WHERE device = $1 AND created < $2 ORDER BY id DESC LIMIT $3"
        % MESSAGE_COLUMNS, device_id, before, limit)]
    events = _events(await conn.fetch(
        "SELECT %s FROM events WHERE device = $1 AND created < $2 "
        "ORDER BY created DESC, seq DESC LIMIT $3" % EVENT_COLUMNS, device_id, before, limit))
    return {"commands": commands, "messages": messages, "events": events}


async def _device_timeline(conn, device_id, since, limit):
    events = _events(await conn.fetch(
        "SELECT %s FROM events WHERE device = $1 AND created >= $2 "
        "ORDER BY created DESC, seq DESC LIMIT $3" % EVENT_COLUMNS, device_id, since, limit))
    events.reverse()
    alerts = [tuple(r) for r in await conn.fetch(
        "SELECT at, key FROM alerts WHERE device = $1 AND at >= $2 ORDER BY at LIMIT $3",
        device_id, since, limit)]
    commands = [_command(r) for r in await conn.fetch(
        "SELECT %s FROM commands WHERE device = $1 AND created >= $2 ORDER BY seq LIMIT $3"
        % COMMAND_COLUMNS, device_id, since, limit)]
    return {"events": events, "alerts": alerts, "commands": commands}
