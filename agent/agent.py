"""The agent's work, apart from HTTP, as one object: `Agent`. Its parts live in one
file each and are mixed in here:

- inbound.py: SMS webhooks in, the TwiML answer (with the device's reply when it
  comes in time), status callbacks, commands typed at the CLI;
- delivery.py: the device link: authentication, polls, acks, events;
- alerts.py: a device's alert texted to its contacts, rate-limited;
- outbox.py: replies and expiry notices sent by REST, never twice;
- housekeeping.py: the 1 s tick (expiry, what another process stored), pruning.

This file holds the life cycle, the devices' tokens and the wake-ups: a poll waiting
here is woken by a command accepted here, or by another agent's NOTIFY (the store's
`listen`), or at the latest by the tick."""

import asyncio
import contextlib

from . import logs, tokens
from .alerts import Alerts
from .delivery import Delivery
from .housekeeping import Housekeeping
from .inbound import Inbound
from .outbox import Outbox
from .presence import Presence
from .store import NOTICE_DEVICE, NOTICE_DEVICES, NOTICE_REPLY
from .twilio_rest import TwilioRest


class Agent(Inbound, Delivery, Alerts, Outbox, Housekeeping):
    def __init__(self, config, store, clock, rest=None):
        self.config = config
        self.store = store
        self.clock = clock
        self.rest = rest
        self.presence = Presence(config.offline_after)
        self.tokens = {}  # device id -> token hash
        self._owners = {}  # token hash -> device id
        self._polls = {}  # device id -> set of futures of waiting polls
        self.wakers = []  # fn(device id): news for a device (the MQTT bridge publishes it)
        self._replies = {}  # command id -> future of the webhook waiting for its reply
        self._outbox_wake = asyncio.Event()
        self._in_flight = set()
        self._tasks = []
        self._reloads = set()
        self._last_seq = 0
        self._closing = False
        self.loop = None

    # -- life cycle --------------------------------------------------------------------

    async def start(self):
        self.loop = asyncio.get_running_loop()
        config = self.config
        if self.rest is None and config.account_sid and config.auth_token:
            self.rest = TwilioRest(config.twilio_base_url, config.account_sid, config.auth_token)
        await self.store.open()
        await self.store.listen(self._heard)
        await self.load_devices()
        self._last_seq = (await self.store.changes(0, (), self.clock()) or (0, set(), True))[0]
        self._tasks = [
            asyncio.create_task(self._housekeeping(), name="housekeeping"),
            asyncio.create_task(self._outbox(), name="outbox"),
        ]
        if self.rest is None:
            logs.warning("twilio.unconfigured", hint="set TWILIO_ACCOUNT_SID and "
                         "TWILIO_AUTH_TOKEN: without them no reply or alert can be sent by REST")
        logs.event("agent.started", devices=len(self.tokens), routing=self.config.routing)

    def closing(self):
        """The server is shutting down: waiting polls answer now (empty), and waiting
        webhooks answer now (with the reply if it came, else the acknowledgement), so
        no request holds the shutdown."""
        self._closing = True
        for device in list(self._polls):
            self._wake(device)
        for future in self._replies.values():
            if not future.done():
                future.set_result(None)

    async def stop(self):
        self.closing()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for device in list(self._polls):
            self._wake(device)
        with contextlib.suppress(Exception):
            await self._flush_seen()
        await self._drain_outbox()
        if self.rest is not None:
            await self.rest.close()
        await self.store.close()
        logs.event("agent.stopped")

    # -- devices and their tokens --------------------------------------------------------

    async def load_devices(self):
        devices = await self.store.devices()
        self.tokens = {device: row[0] for device, row in devices.items()}
        self._owners = {row[0]: device for device, row in devices.items()}
        for device, row in devices.items():
            if row[2]:
                self.presence.load(device, row[2])

    async def add_device(self, device_id):
        """-> (token, created): a new token for the device (an old one stops working)."""
        token = tokens.new_token()
        created = await self.store.put_device(device_id, tokens.token_hash(token), self.clock())
        await self.load_devices()
        return token, created

    # -- wake-ups ----------------------------------------------------------------------

    def _wake(self, device_id):
        for waker in self.wakers:
            waker(device_id)
        for future in self._polls.pop(device_id, ()):
            if not future.done():
                future.set_result(None)

    def _heard(self, kind, key):
        """Another agent's wake-up (after its commit)."""
        if kind == NOTICE_DEVICE:
            self._wake(key)
        elif kind == NOTICE_REPLY:
            future = self._replies.get(key)
            if future is not None and not future.done():
                future.set_result(None)  # the reply is in the store
        elif kind == NOTICE_DEVICES:
            task = asyncio.ensure_future(self._reload_devices())
            self._reloads.add(task)  # held until done (the loop keeps weak references)
            task.add_done_callback(self._reloads.discard)

    async def _reload_devices(self):
        try:
            await self.load_devices()
        except Exception:
            logs.LOGGER.exception("devices.reload_failed")

    # -- the dashboard -----------------------------------------------------------------

    async def overview(self, limit=50):
        """For the dashboard. Presence is merged: the last-seen times other agents
        wrote (every SEEN_FLUSH ticks) count beside this agent's own."""
        await self.load_devices()
        now = self.clock()
        data = await self.store.overview(now, limit)
        known = set(self.config.devices) | set(self.tokens)
        data["devices"] = [
            {
                "id": device,
                "configured": device in self.config.devices,
                "has_token": device in self.tokens,
                "online": self.presence.online(device, now),
                "last_seen": self.presence.last_seen.get(device),
                "queued": data["queues"].get(device, 0),
            }
            for device in sorted(known)
        ]
        return data

