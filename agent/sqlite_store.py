"""The embedded store: one SQLite file in WAL mode, written by one thread.

Group commit: the thread takes every operation waiting in its queue, runs each in
its own savepoint inside one transaction and commits once, then settles all their
futures. A burst of webhooks costs one fsync per batch, not one per webhook, and an
operation's future is settled only after its commit: durable when awaited."""

import asyncio
import json
import queue
import sqlite3
import threading

from .store import (
    CANCELED,
    DONE,
    EXPIRED,
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
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL,
    created REAL NOT NULL,
    last_seen REAL
);
CREATE TABLE IF NOT EXISTS commands (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    device TEXT NOT NULL,
    message_sid TEXT UNIQUE,
    idempotency_token TEXT UNIQUE,
    sender TEXT NOT NULL,
    number TEXT NOT NULL,
    text TEXT NOT NULL,
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    state TEXT NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 0,
    reply TEXT,
    reply_route TEXT,
    acked REAL,
    reply_wait REAL
);
CREATE INDEX IF NOT EXISTS commands_queue ON commands (device, state, seq);
CREATE INDEX IF NOT EXISTS commands_live ON commands (device, state, expires);
CREATE INDEX IF NOT EXISTS commands_expiry ON commands (state, expires);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT,
    kind TEXT NOT NULL,
    command_id TEXT,
    to_number TEXT NOT NULL,
    from_number TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    sid TEXT UNIQUE,
    status TEXT,
    error_code INTEGER,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    attempted REAL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_due ON messages (state, next_at);
CREATE TABLE IF NOT EXISTS statuses (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL,
    sid TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code INTEGER,
    kind TEXT NOT NULL,
    command_id TEXT,
    at REAL NOT NULL,
    forwarded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS statuses_queue ON statuses (device, forwarded, seq);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    device TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL,
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_by_device ON alerts (device, at);
CREATE INDEX IF NOT EXISTS commands_by_device ON commands (device, seq);
CREATE INDEX IF NOT EXISTS messages_by_device ON messages (device, id);
CREATE INDEX IF NOT EXISTS events_by_device ON events (device, created);
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    device TEXT,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
"""
# Version 0: the release before schema versions (no reply_wait, no attempted).
# Version 1: no console (its actions table and per-device indexes: SCHEMA adds them).
MIGRATIONS = {
    0: ["ALTER TABLE commands ADD COLUMN reply_wait REAL",
        "ALTER TABLE messages ADD COLUMN attempted REAL"],
    1: [],
}

COMMAND_COLUMNS = (
    "id, device, sender, number, text, name, args, created, expires, message_sid, state, "
    "deliveries, reply, reply_route, acked, seq, reply_wait"
)
MESSAGE_COLUMNS = (
    "id, device, kind, to_number, from_number, body, state, created, command_id, sid, status, "
    "error_code, error, attempts, next_at, attempted"
)
# Twilio's message statuses in the order they happen; a late callback for an earlier
# step does not move a message back.
STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "receiving": 3,
    "received": 4, "delivered": 4, "undelivered": 4, "failed": 4, "read": 5, "canceled": 5,
}
BATCH = 512


def _command(row):
    return Command(*row)


def _message(row):
    return Message(*row)


class SQLiteStore(Store):
    def __init__(self, path, synchronous="FULL"):
        self.path = path
        self.synchronous = synchronous.upper()
        self._queue = queue.SimpleQueue()
        self._thread = None
        self._loop = None
        self._data_version = None

    # -- the writer thread ---------------------------------------------------------------

    async def open(self):
        self._loop = asyncio.get_running_loop()
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 10000")
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = %s" % self.synchronous)
        try:
            _create_schema(conn)
        except BaseException:
            conn.close()
            raise
        self._thread = threading.Thread(
            target=self._work, args=(conn,), name="sqlite-store", daemon=True
        )
        self._thread.start()

    async def close(self):
        if self._thread is not None:
            self._queue.put(None)
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    def _call(self, fn, *args):
        future = self._loop.create_future()
        self._queue.put((fn, args, future))
        return future

    def _work(self, conn):
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                batch = [item]
                while len(batch) < BATCH:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        self._queue.put(None)
                        break
                    batch.append(item)
                results = self._run(conn, batch)
                self._loop.call_soon_threadsafe(_settle, results)
        finally:
            conn.close()

    @staticmethod
    def _run(conn, batch):
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            return [(future, None, error) for _, _, future in batch]
        results = []
        for fn, args, future in batch:
            conn.execute("SAVEPOINT op")
            try:
                value = fn(conn, *args)
            except Exception as error:  # one bad operation must not spoil the batch
                conn.execute("ROLLBACK TO op")
                conn.execute("RELEASE op")
                results.append((future, None, error))
            else:
                conn.execute("RELEASE op")
                results.append((future, value, None))
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return [(future, None, error) for future, _, _ in results]
        return results

    # -- devices ---------------------------------------------------------------------

    async def put_device(self, device_id, token_hash, now):
        return await self._call(_put_device, device_id, token_hash, now)

    async def devices(self):
        return await self._call(_devices)

    async def remove_device(self, device_id):
        return await self._call(_remove_device, device_id)

    async def seen(self, last_seen):
        return await self._call(_seen, dict(last_seen))

    # -- commands --------------------------------------------------------------------

    async def accept(self, command, idempotency_token, queue_cap, now):
        return await self._call(_accept, command, idempotency_token, queue_cap, now)

    async def pending(self, device_id, now, limit):
        return await self._call(_pending, device_id, now, limit)

    async def ack(self, device_id, command_id, reply, now):
        return await self._call(_ack, device_id, command_id, reply, now)

    async def release_reply(self, command_id):
        return await self._call(_release_reply, command_id)

    async def command(self, command_id):
        return await self._call(_one_command, command_id)

    async def expire(self, now, notice):
        return await self._call(_expire, now, notice)

    # -- outbound messages -------------------------------------------------------------

    async def add_message(self, message):
        return await self._call(_add_message, message)

    async def claim_message(self, now, lease):
        return await self._call(_claim_message, now, lease)

    async def message_sent(self, message_id, sid, status, now):
        return await self._call(_message_sent, message_id, sid, status, now)

    async def message_failed(self, message_id, code, error, now, retry_at=None,
                             attempted=None):
        return await self._call(_message_failed, message_id, code, error, now, retry_at,
                                attempted)

    async def known_sids(self, sids):
        return await self._call(_known_sids, list(sids))

    async def message_status(self, sid, status, error_code, now):
        return await self._call(_message_status, sid, status, error_code, now)

    # -- events and alerts -------------------------------------------------------------

    async def add_event(self, event_id, device_id, name, data, now):
        return await self._call(_add_event, event_id, device_id, name, data, now)

    async def claim_alert(self, device_id, key, now, per_hour, cooldown):
        return await self._call(_claim_alert, device_id, key, now, per_hour, cooldown)

    async def release_alert(self, alert_id):
        return await self._call(_release_alert, alert_id)

    # -- operations ------------------------------------------------------------------

    async def overview(self, now, limit):
        return await self._call(_overview, now, limit)

    async def prune(self, before):
        return await self._call(_prune, before)

    async def changes(self, after_seq, waiting, now):
        return await self._call(self._changes, after_seq)

    def _changes(self, conn, after_seq):
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._data_version:
            return None
        self._data_version = version
        rows = conn.execute(
            "SELECT seq, device FROM commands WHERE seq > ? ORDER BY seq", (after_seq,)
        ).fetchall()
        last = rows[-1][0] if rows else after_seq
        return last, {device for _, device in rows}, True

    # -- the console ---------------------------------------------------------------------

    async def device_summaries(self, device_ids, now, events_per_device):
        return await self._call(_device_summaries, list(device_ids), now, events_per_device)

    async def device_history(self, device_id, limit, before=None):
        return await self._call(_device_history, device_id, limit, before)

    async def device_timeline(self, device_id, since, limit):
        return await self._call(_device_timeline, device_id, since, limit)

    async def cancel_command(self, command_id, now):
        return await self._call(_cancel_command, command_id, now)

    async def retry_command(self, command_id, new_id, now, ttl, queue_cap):
        return await self._call(_retry_command, command_id, new_id, now, ttl, queue_cap)

    async def log_action(self, at, who, action, device_id, detail):
        return await self._call(_log_action, at, who, action, device_id, detail)

    async def actions(self, limit):
        return await self._call(_actions, limit)


def _create_schema(conn):
    """Creates the schema, or migrates an older one, in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        legacy = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'commands'").fetchone() is not None
        has_version = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").fetchone() is not None
        version = None
        if has_version:
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else None
        if version is None:  # a file from before versions, or a new one
            version = 0 if legacy and not has_version else SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise SchemaTooNew("the database has schema version %d; this agent knows up to %d: "
                               "upgrade the agent" % (version, SCHEMA_VERSION))
        for step in range(version, SCHEMA_VERSION):
            for sql in MIGRATIONS[step]:
                conn.execute(sql)
        for sql in SCHEMA.split(";"):
            if sql.strip():
                conn.execute(sql)
        conn.execute("DELETE FROM schema_version")
        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _settle(results):
    for future, value, error in results:
        if future.cancelled():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)


def _put_device(conn, device_id, token_hash, now):
    cursor = conn.execute("UPDATE devices SET token_hash = ? WHERE id = ?", (token_hash, device_id))
    if cursor.rowcount:
        return False
    conn.execute(
        "INSERT INTO devices (id, token_hash, created) VALUES (?, ?, ?)",
        (device_id, token_hash, now),
    )
    return True


def _devices(conn):
    rows = conn.execute("SELECT id, token_hash, created, last_seen FROM devices ORDER BY id")
    return {row[0]: (bytes(row[1]), row[2], row[3]) for row in rows}


def _remove_device(conn, device_id):
    return conn.execute("DELETE FROM devices WHERE id = ?", (device_id,)).rowcount > 0


def _seen(conn, last_seen):
    conn.executemany(
        "UPDATE devices SET last_seen = ? WHERE id = ?", [(t, d) for d, t in last_seen.items()]
    )


def _find(conn, where, args):
    row = conn.execute(
        "SELECT %s FROM commands WHERE %s" % (COMMAND_COLUMNS, where), args
    ).fetchone()
    return _command(row) if row else None


def _accept(conn, command, idempotency_token, queue_cap, now):
    found = None
    if command.message_sid:
        found = _find(conn, "message_sid = ?", (command.message_sid,))
    if found is None and idempotency_token:
        found = _find(conn, "idempotency_token = ?", (idempotency_token,))
    if found is not None:
        return Accepted("duplicate", found)
    (live,) = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM commands WHERE device = ? AND state = ? "
        "AND expires > ? LIMIT ?)",
        (command.device, PENDING, now, queue_cap),
    ).fetchone()
    if live >= queue_cap:
        return Accepted("full")
    cursor = conn.execute(
        "INSERT INTO commands (id, device, message_sid, idempotency_token, sender, number, text, "
        "name, args, created, expires, state, reply_wait) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            command.id, command.device, command.message_sid, idempotency_token or None,
            command.sender, command.number, command.text, command.name, command.args,
            command.created, command.expires, PENDING, command.reply_wait,
        ),
    )
    command.seq = cursor.lastrowid
    command.state = PENDING
    return Accepted("new", command)


def _pending(conn, device_id, now, limit):
    rows = conn.execute(
        "SELECT %s FROM commands WHERE device = ? AND state = ? AND expires > ? "
        "ORDER BY seq LIMIT ?" % COMMAND_COLUMNS,
        (device_id, PENDING, now, limit),
    ).fetchall()
    commands = [_command(row) for row in rows]
    if commands:
        conn.executemany(
            "UPDATE commands SET deliveries = deliveries + 1 WHERE seq = ?",
            [(c.seq,) for c in commands],
        )
    rows = conn.execute(
        "SELECT seq, sid, status, error_code, kind, command_id FROM statuses "
        "WHERE device = ? AND forwarded = 0 ORDER BY seq LIMIT ?",
        (device_id, limit),
    ).fetchall()
    statuses = []
    for seq, sid, status, error_code, kind, command_id in rows:
        statuses.append(
            {"sid": sid, "status": status, "error_code": error_code, "kind": kind,
             "command_id": command_id}
        )
        conn.execute("UPDATE statuses SET forwarded = 1 WHERE seq = ?", (seq,))
    return commands, statuses


def _insert_message(conn, message):
    cursor = conn.execute(
        "INSERT INTO messages (device, kind, command_id, to_number, from_number, body, state, "
        "sid, status, error_code, error, attempts, next_at, created, updated) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            message.device, message.kind, message.command_id, message.to, message.sender,
            message.body, message.state, message.sid, message.status, message.error_code,
            message.error, message.attempts, message.next_at, message.created, message.created,
        ),
    )
    message.id = cursor.lastrowid
    return message


def _ack(conn, device_id, command_id, reply, now):
    command = _find(conn, "id = ? AND device = ?", (command_id, device_id))
    if command is None or command.deliveries == 0:
        return None
    if command.state == DONE:
        return Acked(command, False)
    if reply is None or not command.number:
        route = ROUTE_NONE
    elif command.reply_wait is not None and command.reply_wait > now:
        route = ROUTE_TWIML
    else:
        route = ROUTE_REST
    conn.execute(
        "UPDATE commands SET state = ?, reply = ?, reply_route = ?, acked = ?, reply_wait = NULL "
        "WHERE seq = ?",
        (DONE, reply, route, now, command.seq),
    )
    command.state, command.reply, command.reply_route, command.acked = DONE, reply, route, now
    command.reply_wait = None
    message = None
    if route != ROUTE_NONE:
        message = _insert_message(conn, Message(
            None, device_id, "reply", command.sender, command.number, reply,
            OUT_TWIML if route == ROUTE_TWIML else OUT_PENDING, now, command_id=command.id,
            next_at=now,
        ))
    return Acked(command, True, message)


def _release_reply(conn, command_id):
    return conn.execute(
        "UPDATE commands SET reply_wait = NULL WHERE id = ? AND reply_wait IS NOT NULL",
        (command_id,),
    ).rowcount == 1


def _one_command(conn, command_id):
    return _find(conn, "id = ?", (command_id,))


def _expire(conn, now, notice):
    rows = conn.execute(
        "SELECT %s FROM commands WHERE state = ? AND expires <= ? ORDER BY seq LIMIT 1000"
        % COMMAND_COLUMNS,
        (PENDING, now),
    ).fetchall()
    commands = [_command(row) for row in rows]
    for command in commands:
        conn.execute("UPDATE commands SET state = ? WHERE seq = ?", (EXPIRED, command.seq))
        command.state = EXPIRED
        text = notice(command) if command.number else None
        if text:
            _insert_message(conn, Message(
                None, command.device, "expired", command.sender, command.number, text,
                OUT_PENDING, now, command_id=command.id, next_at=now,
            ))
    return commands


def _add_message(conn, message):
    return _insert_message(conn, message)


def _claim_message(conn, now, lease):
    row = conn.execute(
        "SELECT %s FROM messages WHERE state = ? AND next_at <= ? ORDER BY next_at, id LIMIT 1"
        % MESSAGE_COLUMNS,
        (OUT_PENDING, now),
    ).fetchone()
    if row is None:
        return None
    message = _message(row)
    conn.execute("UPDATE messages SET next_at = ?, attempted = COALESCE(attempted, ?) "
                 "WHERE id = ?", (now + lease, now, message.id))
    return message


def _known_sids(conn, sids):
    return {
        sid for sid in sids
        if conn.execute("SELECT 1 FROM messages WHERE sid = ?", (sid,)).fetchone()
    }


def _message_sent(conn, message_id, sid, status, now):
    conn.execute(
        "UPDATE messages SET state = ?, sid = ?, status = ?, error_code = NULL, error = NULL, "
        "attempts = attempts + 1, updated = ? WHERE id = ?",
        (OUT_SENT, sid, status, now, message_id),
    )


def _message_failed(conn, message_id, code, error, now, retry_at, attempted):
    conn.execute(
        "UPDATE messages SET state = ?, error_code = ?, error = ?, attempts = attempts + 1, "
        "next_at = ?, updated = ?, attempted = ? WHERE id = ?",
        (
            OUT_PENDING if retry_at is not None else OUT_FAILED, code, error,
            retry_at if retry_at is not None else now, now, attempted, message_id,
        ),
    )


def _message_status(conn, sid, status, error_code, now):
    row = conn.execute(
        "SELECT %s FROM messages WHERE sid = ?" % MESSAGE_COLUMNS, (sid,)
    ).fetchone()
    if row is None:
        return None
    message = _message(row)
    if STATUS_RANK.get(status, 0) >= STATUS_RANK.get(message.status, 0):
        conn.execute(
            "UPDATE messages SET status = ?, error_code = ?, updated = ? WHERE id = ?",
            (status, error_code, now, message.id),
        )
        message.status, message.error_code = status, error_code
    if message.device:
        conn.execute(
            "INSERT INTO statuses (device, sid, status, error_code, kind, command_id, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (message.device, sid, status, error_code, message.kind, message.command_id, now),
        )
    return message


def _add_event(conn, event_id, device_id, name, data, now):
    conn.execute(
        "INSERT INTO events (id, device, name, data, created) VALUES (?, ?, ?, ?, ?)",
        (event_id, device_id, name, json.dumps(data), now),
    )
    return event_id


def _claim_alert(conn, device_id, key, now, per_hour, cooldown):
    if cooldown > 0:
        (last,) = conn.execute(
            "SELECT MAX(at) FROM alerts WHERE device = ? AND key = ?", (device_id, key)
        ).fetchone()
        if last is not None and now - last < cooldown:
            return None, cooldown - (now - last)
    recent = [
        at for (at,) in conn.execute(
            "SELECT at FROM alerts WHERE device = ? AND at > ? ORDER BY at DESC",
            (device_id, now - 3600),
        )
    ]
    if len(recent) >= per_hour:
        oldest = recent[per_hour - 1] if per_hour else now
        return None, max(oldest + 3600 - now, 1)
    cursor = conn.execute(
        "INSERT INTO alerts (device, key, at) VALUES (?, ?, ?)", (device_id, key, now)
    )
    return cursor.lastrowid, 0


def _release_alert(conn, alert_id):
    conn.execute("DELETE FROM alerts WHERE id = ?", (alert_id,))


def _prune(conn, before):
    deleted = 0
    for sql in (
        "DELETE FROM commands WHERE state != 'pending' AND created < ?",
        "DELETE FROM messages WHERE state != 'pending' AND created < ?",
        "DELETE FROM statuses WHERE forwarded = 1 AND at < ?",
        "DELETE FROM events WHERE created < ?",
        "DELETE FROM alerts WHERE at < ?",
        "DELETE FROM actions WHERE at < ?",
    ):
        deleted += conn.execute(sql, (before,)).rowcount
    return deleted


def _overview(conn, now, limit):
    queues = dict(conn.execute(
        "SELECT device, COUNT(*) FROM commands WHERE state = ? AND expires > ? GROUP BY device",
        (PENDING, now),
    ).fetchall())
    commands = [_command(row) for row in conn.execute(
        "SELECT %s FROM commands ORDER BY seq DESC LIMIT ?" % COMMAND_COLUMNS, (limit,)
    )]
    messages = [_message(row) for row in conn.execute(
        "SELECT %s FROM messages ORDER BY id DESC LIMIT ?" % MESSAGE_COLUMNS, (limit,)
    )]
    events = [
        {"id": e, "device": d, "name": n, "data": json.loads(data), "created": c}
        for e, d, n, data, c in conn.execute(
            "SELECT id, device, name, data, created FROM events ORDER BY seq DESC LIMIT ?",
            (limit,),
        )
    ]
    return {"queues": queues, "commands": commands, "messages": messages, "events": events}


# -- the console -----------------------------------------------------------------------


def _events(rows):
    return [{"id": e, "device": d, "name": n, "data": json.loads(data), "created": c}
            for e, d, n, data, c in rows]


def _device_summaries(conn, device_ids, now, events_per_device):
    summaries = {}
    for device in device_ids:
        (queued,) = conn.execute(
            "SELECT COUNT(*) FROM commands WHERE device = ? AND state = ? AND expires > ?",
            (device, PENDING, now),
        ).fetchone()
        last = _find(conn, "device = ? ORDER BY seq DESC LIMIT 1", (device,))
        events = _events(conn.execute(
            "SELECT id, device, name, data, created FROM events WHERE device = ? "
            "ORDER BY created DESC, seq DESC LIMIT ?", (device, events_per_device)))
        (alerts,) = conn.execute(
            "SELECT COUNT(*) FROM alerts WHERE device = ? AND at > ?", (device, now - 3600)
        ).fetchone()
        seen = conn.execute("SELECT last_seen FROM devices WHERE id = ?", (device,)).fetchone()
        summaries[device] = {"queued": queued, "last_command": last, "events": events,
                             "alerts_hour": alerts, "last_seen": seen[0] if seen else None}
    return summaries


def _device_history(conn, device_id, limit, before):
    before = float("inf") if before is None else before
    commands = [_command(row) for row in conn.execute(
        "SELECT %s FROM commands WHERE device = ? AND created < ? ORDER BY seq DESC LIMIT ?"
        % COMMAND_COLUMNS, (device_id, before, limit))]
    messages = [_message(row) for row in conn.execute(
        "SELECT %s FROM messages WHERE device = ? AND created < ? ORDER BY id DESC LIMIT ?"
        % MESSAGE_COLUMNS, (device_id, before, limit))]
    events = _events(conn.execute(
        "SELECT id, device, name, data, created FROM events WHERE device = ? AND created < ? "
        "ORDER BY created DESC, seq DESC LIMIT ?", (device_id, before, limit)))
    return {"commands": commands, "messages": messages, "events": events}


def _device_timeline(conn, device_id, since, limit):
    events = _events(conn.execute(
        "SELECT id, device, name, data, created FROM events WHERE device = ? AND created >= ? "
        "ORDER BY created DESC, seq DESC LIMIT ?", (device_id, since, limit)))
    events.reverse()
    alerts = conn.execute(
        "SELECT at, key FROM alerts WHERE device = ? AND at >= ? ORDER BY at LIMIT ?",
        (device_id, since, limit)).fetchall()
    commands = [_command(row) for row in conn.execute(
        "SELECT %s FROM commands WHERE device = ? AND created >= ? ORDER BY seq LIMIT ?"
        % COMMAND_COLUMNS, (device_id, since, limit))]
    return {"events": events, "alerts": [tuple(a) for a in alerts], "commands": commands}


def _cancel_command(conn, command_id, now):
    cursor = conn.execute(
        "UPDATE commands SET state = ?, acked = ? WHERE id = ? AND state = ? AND deliveries = 0",
        (CANCELED, now, command_id, PENDING))
    return _find(conn, "id = ?", (command_id,)) if cursor.rowcount else None


def _retry_command(conn, command_id, new_id, now, ttl, queue_cap):
    old = _find(conn, "id = ? AND state IN (?, ?)", (command_id, EXPIRED, CANCELED))
    if old is None:
        return None
    copy = Command(new_id, old.device, old.sender, old.number, old.text, old.name, old.args,
                   now, now + ttl)
    return _accept(conn, copy, None, queue_cap, now)


def _log_action(conn, at, who, action, device_id, detail):
    conn.execute("INSERT INTO actions (at, who, action, device, detail) VALUES (?, ?, ?, ?, ?)",
                 (at, who, action, device_id, detail))


def _actions(conn, limit):
    return [{"at": at, "who": who, "action": action, "device": device, "detail": detail}
            for at, who, action, device, detail in conn.execute(
                "SELECT at, who, action, device, detail FROM actions ORDER BY id DESC LIMIT ?",
                (limit,))]
