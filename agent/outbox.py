"""Replies and expiry notices sent by REST, from the store's outbox, never twice.

Every agent drains the outbox: a claim takes one message and leases it (LEASE s;
if the agent dies, another takes it after). The claim marks the message `attempted`:
from then on the request may reach Twilio, so any later attempt — a retry after a
timeout, or another agent after a kill — first asks Twilio for the messages to that
number since the attempt and records the one with the same body, if there is one,
instead of sending it again. Retries on 429 (after Retry-After), 5xx and no answer."""

import asyncio
import contextlib

from utwilio.errors import TransportError, TwilioError

from . import logs
from .store import OUT_FAILED
from .twilio_rest import retry_after, retryable

TICK = 1.0  # s between looks at the outbox when nothing woke it
LEASE = 60.0  # s a claimed message is the claimer's (above the REST timeout and a lookup)
CONCURRENCY = 16  # sends in flight per agent
MAX_ATTEMPTS = 8
SLACK = 60.0  # s of clock difference allowed between the agent and Twilio


class Outbox:
    async def _outbox(self):
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for loses a cancellation that
            # comes just after the wake-up, and stop() then waits for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TICK):
                    await self._outbox_wake.wait()
            self._outbox_wake.clear()
            if self.rest is None:
                continue
            try:
                while len(self._in_flight) < CONCURRENCY:
                    message = await self.store.claim_message(self.clock(), LEASE)
                    if message is None:
                        break
                    task = asyncio.create_task(self._send_queued(message))
                    self._in_flight.add(task)
                    task.add_done_callback(self._sent_one)
            except Exception:
                logs.LOGGER.exception("outbox.failed")

    def _sent_one(self, task):
        self._in_flight.discard(task)
        self._outbox_wake.set()  # room for the next claim

    async def _drain_outbox(self):
        """At stop: the sends under way finish (their outcome is recorded)."""
        if self._in_flight:
            with contextlib.suppress(Exception):
                await asyncio.wait(list(self._in_flight), timeout=20)

    async def _send_queued(self, message):
        try:
            try:
                if message.attempted is not None:
                    if await self._sent_already(message, message.attempted):
                        return
                data = await self.rest.send(message.to, message.sender, message.body,
                                            self._status_url())
            except (TwilioError, TransportError) as error:
                await self._failed(message, error)
                return
            await self.store.message_sent(message.id, data["sid"], data.get("status"),
                                          self.clock())
            logs.event("message.sent", id=message.id, kind=message.kind, sid=data["sid"])
        except Exception:
            logs.LOGGER.exception("message.send_failed")

    async def _failed(self, message, error):
        """A failed attempt (or a lookup that failed). Only one that may have reached
        Twilio leaves the message `attempted`; a refusal or no connection does not."""
        now = self.clock()
        retry_at = None
        if retryable(error) and message.attempts + 1 < MAX_ATTEMPTS:
            retry_at = now + (retry_after(error) or min(2 ** message.attempts, 300))
        sent = getattr(error, "sent", False)
        attempted = message.attempted or (now if sent else None)
        await self.store.message_failed(message.id, getattr(error, "code", None),
                                        error.message, now, retry_at, attempted)
        logs.warning("message.failed", id=message.id, kind=message.kind,
                     code=getattr(error, "code", None), maybe_sent=sent,
                     state="retry" if retry_at else OUT_FAILED)

    async def _sent_already(self, message, since):
        """Did an earlier attempt create the message at Twilio? -> its sid, now
        recorded, or None. Raises TwilioError/TransportError if Twilio cannot tell."""
        candidates = await self.rest.find(message.to, message.sender, message.body,
                                          since - SLACK)
        known = await self.store.known_sids([m["sid"] for m in candidates]) if candidates else ()
        for found in candidates:
            if found["sid"] in known:
                continue
            try:
                await self.store.message_sent(message.id, found["sid"], found.get("status"),
                                              self.clock())
            except Exception:  # recorded meanwhile for another message: try the next
                logs.LOGGER.exception("message.record_failed")
                continue
            logs.event("message.found_sent", id=message.id, kind=message.kind,
                       sid=found["sid"])
            return found["sid"]
        return None
