"""`utwilio-agent db copy --from agent.db`: an existing SQLite agent's devices (and
their token hashes: devices keep working), commands, messages, statuses, events,
alerts and the console's actions move to the PostgreSQL database the configuration
names, in one transaction (PostgreSQL's COPY), into a database that holds no devices
or commands yet. The SQLite file is only read (opened by the agent's store first: an
older file is migrated to the current schema, as the agent itself would at start)."""

import asyncio
import os
import sqlite3

import asyncpg

from .config import ConfigError, is_url
from .postgres_store import PostgresStore
from .sqlite_store import SQLiteStore

# table -> columns copied as they are (PostgreSQL's names are SQLite's).
TABLES = {
    "devices": ["id", "token_hash", "created", "last_seen"],
    "commands": ["seq", "id", "device", "message_sid", "idempotency_token", "sender", "number",
                 "text", "name", "args", "created", "expires", "state", "deliveries", "reply",
                 "reply_route", "acked", "reply_wait"],
    "messages": ["id", "device", "kind", "command_id", "to_number", "from_number", "body",
                 "state", "sid", "status", "error_code", "error", "attempts", "next_at",
                 "attempted", "created", "updated"],
    "statuses": ["seq", "device", "sid", "status", "error_code", "kind", "command_id", "at",
                 "forwarded"],
    "events": ["seq", "id", "device", "name", "data", "created"],
    "alerts": ["id", "device", "key", "at"],
    "actions": ["id", "at", "who", "action", "device", "detail"],
}
SERIALS = {"commands": "seq", "messages": "id", "statuses": "seq", "events": "seq",
           "alerts": "id", "actions": "id"}


def _rows(db, table, columns):
    rows = db.execute("SELECT %s FROM %s ORDER BY 1" % (", ".join(columns), table)).fetchall()
    if table == "devices":
        return [(r[0], bytes(r[1])) + tuple(r[2:]) for r in rows]
    if table == "statuses":
        return [r[:-1] + (bool(r[-1]),) for r in rows]
    return rows


async def copy(sqlite_path, url):
    """-> {table: rows copied}. Raises ConfigError when the copy cannot be made."""
    if not is_url(url):
        raise ConfigError("db copy moves a SQLite agent to PostgreSQL: set [agent] database "
                          "(or UTWILIO_AGENT_DATABASE) to a postgresql:// URL first")
    if not os.path.isfile(sqlite_path):
        raise ConfigError("no SQLite database at %s: give the agent's file, like "
                          "--from utwilio-agent.db" % sqlite_path)
    source = SQLiteStore(sqlite_path)
    try:
        await source.open()
    except sqlite3.Error as error:
        raise ConfigError("cannot read %s as the agent's SQLite database: %s"
                          % (sqlite_path, error)) from None
    await source.close()
    target = PostgresStore(url)
    await target.open()
    await target.close()
    db = sqlite3.connect("file:%s?mode=ro" % sqlite_path, uri=True)
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            held = await conn.fetchval(
                "SELECT (SELECT count(*) FROM devices) + (SELECT count(*) FROM commands)")
            if held:
                raise ConfigError("the PostgreSQL database already holds devices or commands: "
                                  "db copy fills an empty one only")
            copied = {}
            for table, columns in TABLES.items():
                rows = _rows(db, table, columns)
                if table == "commands":
                    # The per-device sequence: the order each device's queue had.
                    per_device = {}
                    numbered = []
                    for row in rows:
                        per_device[row[2]] = per_device.get(row[2], 0) + 1
                        numbered.append(row + (per_device[row[2]],))
                    rows, columns = numbered, columns + ["device_seq"]
                    await conn.executemany(
                        "INSERT INTO queues (device, last_seq) VALUES ($1, $2)",
                        list(per_device.items()))
                await conn.copy_records_to_table(table, records=rows, columns=columns)
                if table in SERIALS:
                    await conn.execute(
                        "SELECT setval(pg_get_serial_sequence('%s', '%s'), "
                        "GREATEST((SELECT max(%s) FROM %s), 1))"
                        % (table, SERIALS[table], SERIALS[table], table))
                copied[table] = len(rows)
            await conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'devices'")
        return copied
    finally:
        await conn.close()
        db.close()


def run(sqlite_path, url):
    return asyncio.run(copy(sqlite_path, url))
