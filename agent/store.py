"""What the agent keeps, as an interface: SQLite (sqlite_store.py) is the embedded
default; PostgreSQL (postgres_store.py) serves several agents sharing one database.

Every method is a coroutine, and a write has been committed (is durable) when it
returns: the webhook answers Twilio only after `accept` has returned. Several agents
may call these methods at once on one database: each method's outcome holds across
them (dedupe, queue cap, per-device order, one claim per outbound message).

Both schemas carry a `schema_version` table (SCHEMA_VERSION) so that a later release
can migrate an existing database; a database newer than this code is refused."""

import abc
from dataclasses import dataclass

SCHEMA_VERSION = 2  # 2: the console's actions table and per-device indexes
# Wake-ups between agents (`listen`): a device has something to fetch, the reply to a
# command has come, the set of devices changed.
NOTICE_DEVICE, NOTICE_REPLY, NOTICE_DEVICES = "c", "r", "d"

# Command states: waiting for the device, acknowledged, past its TTL.
PENDING, DONE, EXPIRED = "pending", "done", "expired"
# How a reply reaches the sender: the TwiML answer, a REST send, or not at all.
ROUTE_TWIML, ROUTE_REST, ROUTE_NONE = "twiml", "rest", "none"
# Outbound message states: waiting for the outbox, sent by REST, failed for good,
# carried by a TwiML answer (Twilio sends it).
OUT_PENDING, OUT_SENT, OUT_FAILED, OUT_TWIML = "pending", "sent", "failed", "twiml"


@dataclass
class Command:
    id: str
    device: str
    sender: str  # E.164 of the person who texted, or "cli"
    number: str  # the Twilio number texted (replies go from it); "" for the CLI
    text: str
    name: str
    args: str
    created: float
    expires: float
    message_sid: str = None
    state: str = PENDING
    deliveries: int = 0
    reply: str = None
    reply_route: str = None
    acked: float = None
    seq: int = 0
    reply_wait: float = None  # until then a webhook waits to carry the reply as TwiML

    def for_link(self):
        """The command as PROTOCOL.md shows it to the device."""
        return {
            "id": self.id,
            "name": self.name,
            "args": self.args,
            "text": self.text,
            "from": self.sender,
            "created": int(self.created),
            "expires": int(self.expires),
        }


@dataclass
class Message:
    """An SMS the agent sends (REST) or answers with (TwiML)."""

    id: int
    device: str
    kind: str  # "reply", "expired", "alert"
    to: str
    sender: str
    body: str
    state: str
    created: float
    command_id: str = None
    sid: str = None
    status: str = None
    error_code: int = None
    error: str = None
    attempts: int = 0
    next_at: float = 0.0
    attempted: float = None  # when an attempt that may have reached Twilio was made


@dataclass
class Accepted:
    """What `accept` did: "new" (stored), "duplicate" (the same MessageSid or
    idempotency token was stored before: `command` is that one) or "full"."""

    outcome: str
    command: Command = None


@dataclass
class Acked:
    """What `ack` did: `first` is False for a repeated ack; `message` is the outbound
    reply queued for the outbox, if any."""

    command: Command
    first: bool
    message: Message = None


class StoreUnavailable(Exception):
    """The database cannot be reached now; the request may be retried later."""


class SchemaTooNew(Exception):
    """The database was written by a newer release of the agent."""


def for_config(config):
    """The store the configuration names: a postgresql:// URL, else a SQLite path."""
    from .config import is_url

    if is_url(config.database):
        from .postgres_store import PostgresStore

        return PostgresStore(config.database)
    from .sqlite_store import SQLiteStore

    return SQLiteStore(config.database, config.synchronous)


class Store(abc.ABC):
    @abc.abstractmethod
    async def open(self):
        """Creates the schema if needed; runs before any other method."""

    @abc.abstractmethod
    async def close(self):
        ...

    async def listen(self, callback):
        """Calls `callback(kind, key)` for each wake-up another agent sends (NOTICE_*).
        One process alone needs none: the default does nothing."""
        return None

    # -- devices -------------------------------------------------------------------

    @abc.abstractmethod
    async def put_device(self, device_id, token_hash, now):
        """Adds a device, or gives an existing one a new token. -> True if new."""

    @abc.abstractmethod
    async def devices(self):
        """-> {device_id: (token_hash, created, last_seen)}"""

    @abc.abstractmethod
    async def remove_device(self, device_id):
        """Forgets a device's token (its commands stay until they expire). -> True if
        there was one."""

    @abc.abstractmethod
    async def seen(self, last_seen):
        """Records {device_id: unix time} of last contact."""

    # -- commands ------------------------------------------------------------------

    @abc.abstractmethod
    async def accept(self, command, idempotency_token, queue_cap, now):
        """Stores a new Command unless it is a duplicate or the device already holds
        `queue_cap` live commands. -> Accepted"""

    @abc.abstractmethod
    async def pending(self, device_id, now, limit):
        """What a poll carries: (the oldest live unacknowledged commands in order,
        each counted as delivered once more; the status updates not yet forwarded,
        now marked forwarded)."""

    @abc.abstractmethod
    async def ack(self, device_id, command_id, reply, now):
        """Marks a delivered command done with its reply. The reply's route: "twiml"
        while a webhook still waits for it (`reply_wait` > now, not released), else
        "rest" (queued for the outbox) when there is a reply and a number, else "none".
        -> Acked, or None if the device holds no such delivered command."""

    @abc.abstractmethod
    async def release_reply(self, command_id):
        """The waiting webhook gives up: -> True if no ack took the reply for TwiML
        (a later ack goes by REST), False if one did (read it with `command`)."""

    @abc.abstractmethod
    async def command(self, command_id):
        ...

    @abc.abstractmethod
    async def expire(self, now, notice):
        """Marks live commands past their TTL expired and queues `notice(command)`
        (a text, or None) to each sender. -> [Command]"""

    # -- outbound messages -----------------------------------------------------------

    @abc.abstractmethod
    async def add_message(self, message):
        """Stores an outbound Message; -> it with its id."""

    @abc.abstractmethod
    async def claim_message(self, now, lease):
        """One pending outbound message whose attempt is due, leased to the caller
        for `lease` s (its next_at moves past the lease: if the caller dies, another
        agent takes it then). -> Message or None"""

    @abc.abstractmethod
    async def message_sent(self, message_id, sid, status, now):
        ...

    @abc.abstractmethod
    async def message_failed(self, message_id, code, error, now, retry_at=None,
                             attempted=None):
        """A failed attempt: retry at `retry_at`, or (None) give up. `attempted`: the
        time of an attempt that may have reached Twilio (check before sending again)."""

    @abc.abstractmethod
    async def known_sids(self, sids):
        """-> the subset of `sids` already recorded for messages the agent sent."""

    @abc.abstractmethod
    async def message_status(self, sid, status, error_code, now):
        """A status callback: records it and, for a device's message, queues it for
        that device. -> the Message, or None for an unknown sid."""

    # -- events and alerts -----------------------------------------------------------

    @abc.abstractmethod
    async def add_event(self, event_id, device_id, name, data, now):
        ...

    @abc.abstractmethod
    async def claim_alert(self, device_id, key, now, per_hour, cooldown):
        """Records an alert unless the device's rate or the key's cool-down forbids it.
        -> (alert_id, 0) or (None, seconds to wait)"""

    @abc.abstractmethod
    async def release_alert(self, alert_id):
        """Forgets a claimed alert that could not be sent."""

    # -- operations ------------------------------------------------------------------

    @abc.abstractmethod
    async def overview(self, now, limit):
        """For the dashboard: {"queues": {device: live count}, "commands": [...],
        "messages": [...], "events": [...]}, newest first."""

    @abc.abstractmethod
    async def prune(self, before):
        """Forgets finished commands, sent messages, forwarded statuses, events and
        alerts from before `before` (unix s). -> rows deleted"""

    @abc.abstractmethod
    async def changes(self, after_seq, waiting, now):
        """The housekeeping tick's look for what another process stored (the CLI, or
        another agent whose wake-up was lost): -> (last_seq, {device ids to wake},
        devices_changed) or None when nothing changed. `waiting`: the devices whose
        polls wait here."""

    # -- the console (agent/console) ---------------------------------------------------
    # Not abstract: a store without them still runs the agent; the console then says
    # which method is missing.

    async def device_summaries(self, device_ids, now, events_per_device):
        """Each device's card: -> {device: {"queued": live commands, "last_command":
        Command or None, "events": [event dicts, newest first], "alerts_hour": alerts
        claimed in the hour before `now`, "last_seen": stored last contact or None}}."""
        raise NotImplementedError("this store has no device_summaries (the console needs it)")

    async def device_history(self, device_id, limit, before=None):
        """A device's page: -> {"commands": [Command], "messages": [Message], "events":
        [event dicts]}, each the newest `limit` (created before `before`, if given),
        newest first."""
        raise NotImplementedError("this store has no device_history (the console needs it)")

    async def device_timeline(self, device_id, since, limit):
        """What the plots show from `since` on, oldest first: -> {"events": [event
        dicts] (the newest `limit`), "alerts": [(at, key)], "commands": [Command]}."""
        raise NotImplementedError("this store has no device_timeline (the console needs it)")

    async def cancel_command(self, command_id, now):
        """Cancels a command no device has picked up yet. -> the Command (state
        CANCELED), or None if there is no such command or it was delivered or finished."""
        raise NotImplementedError("this store has no cancel_command (the console needs it)")

    async def retry_command(self, command_id, new_id, now, ttl, queue_cap):
        """Queues a copy of an expired or canceled command (same device, sender and
        text) under `new_id`. -> Accepted ("new" or "full"), or None if there is no such
        finished command."""
        raise NotImplementedError("this store has no retry_command (the console needs it)")

    async def log_action(self, at, who, action, device_id, detail):
        """Records what a person did on the console (`who`: user name and address)."""
        raise NotImplementedError("this store has no log_action (the console needs it)")

    async def actions(self, limit):
        """-> the newest `limit` console actions, newest first, as dicts (at, who,
        action, device, detail)."""
        raise NotImplementedError("this store has no actions (the console needs it)")


# A command a person canceled on the console before its device picked it up.
CANCELED = "canceled"
