"""The sandbox's state in SQLite, so that a restart with the same file keeps it.

Every Twilio resource is one row: its public JSON (what the API returns) and its
private JSON (what Twilio knows but does not show, e.g. a key's secret or a
message's StatusCallback). Lists are small, so filtering happens in Python.
"""

import json
import sqlite3
import threading
import time

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    sid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    account_sid TEXT,
    parent_sid TEXT,
    created REAL NOT NULL,
    data TEXT NOT NULL,
    private TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS resources_by_kind ON resources (kind, account_sid, seq);
CREATE TABLE IF NOT EXISTS opt_outs (
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    PRIMARY KEY (sender, recipient)
);
"""

ANY_SENDER = "*"


class Record:
    """One stored resource; `data` is its public JSON, `private` the rest."""

    __slots__ = ("seq", "sid", "kind", "account_sid", "parent_sid", "created", "data", "private")

    def __init__(self, row):
        self.seq, self.sid, self.kind, self.account_sid, self.parent_sid, self.created = row[:6]
        self.data = json.loads(row[6])
        self.private = json.loads(row[7])


class Store:
    def __init__(self, path=":memory:"):
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self):
        with self._lock:
            self._db.close()

    def clear(self):
        with self._lock:
            self._db.execute("DELETE FROM resources")
            self._db.execute("DELETE FROM opt_outs")

    def insert(self, kind, sid, account_sid, data, private=None, parent_sid=None, created=None):
        with self._lock:
            self._db.execute(
                "INSERT INTO resources (sid, kind, account_sid, parent_sid, created, data, private)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    sid,
                    kind,
                    account_sid,
                    parent_sid,
                    created or time.time(),
                    json.dumps(data),
                    json.dumps(private or {}),
                ),
            )
            return self.get(kind, sid)

    def get(self, kind, sid):
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM resources WHERE kind = ? AND sid = ?", (kind, sid)
            ).fetchone()
        return Record(row) if row else None

    def update(self, record):
        """Write back a record whose `data`/`private` the caller changed."""
        with self._lock:
            self._db.execute(
                "UPDATE resources SET data = ?, private = ? WHERE sid = ?",
                (json.dumps(record.data), json.dumps(record.private), record.sid),
            )

    def delete(self, kind, sid):
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM resources WHERE kind = ? AND sid = ?", (kind, sid)
            )
            return cursor.rowcount > 0

    def all(self, kind, account_sid=None, parent_sid=None, newest_first=True):
        query = "SELECT * FROM resources WHERE kind = ?"
        args = [kind]
        if account_sid is not None:
            query += " AND account_sid = ?"
            args.append(account_sid)
        if parent_sid is not None:
            query += " AND parent_sid = ?"
            args.append(parent_sid)
        query += " ORDER BY seq DESC" if newest_first else " ORDER BY seq"
        with self._lock:
            rows = self._db.execute(query, args).fetchall()
        return [Record(row) for row in rows]

    def opt_out(self, recipient, sender=ANY_SENDER):
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO opt_outs VALUES (?, ?)", (sender, recipient))

    def opt_in(self, recipient, sender=ANY_SENDER):
        with self._lock:
            self._db.execute(
                "DELETE FROM opt_outs WHERE sender = ? AND recipient = ?", (sender, recipient)
            )

    def has_opted_out(self, recipient, sender):
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM opt_outs WHERE recipient = ? AND sender IN (?, ?)",
                (recipient, sender, ANY_SENDER),
            ).fetchone()
        return row is not None
