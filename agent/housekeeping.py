"""The 1 s tick: commands past their TTL expire (their senders told), what another
process stored is noticed (the CLI, or another agent whose NOTIFY was lost: the
fallback for wake-ups), last-seen times are written, old history pruned hourly."""

import asyncio

from . import logs
from .store import EXPIRED

TICK = 1.0  # s between housekeeping rounds
SEEN_FLUSH = 10  # ticks between writes of last-seen times
PRUNE_EVERY = 3600  # ticks between deletions of history older than retention_days


def _duration(seconds):
    if seconds >= 3600 and seconds % 3600 == 0:
        return "%d h" % (seconds // 3600)
    if seconds >= 60 and seconds % 60 == 0:
        return "%d min" % (seconds // 60)
    return "%g s" % seconds


class Housekeeping:
    async def _housekeeping(self):
        ticks = 0
        while True:
            await asyncio.sleep(TICK)
            ticks += 1
            try:
                await self.tick()
                if ticks % SEEN_FLUSH == 0:
                    await self._flush_seen()
                if ticks % PRUNE_EVERY == 1:
                    await self.prune()
            except Exception:
                logs.LOGGER.exception("housekeeping.failed")

    async def tick(self):
        """Expire stale commands (telling their senders) and notice commands and
        devices that another process stored."""
        await self.store.listen(self._heard)  # again, if the database went away
        expired = await self.store.expire(self.clock(), self._expiry_notice)
        for command in expired:
            logs.event("command.expired", device=command.device, command=command.id)
        if expired:
            self._outbox_wake.set()
        change = await self.store.changes(self._last_seq, set(self._polls), self.clock())
        if change is not None:
            self._last_seq, devices, devices_changed = change
            if devices_changed:
                await self.load_devices()
            for device in devices:
                self._wake(device)

    async def prune(self):
        """Deletes history older than retention_days; Twilio's retries come within
        minutes, so old commands are no longer needed to recognise them."""
        deleted = await self.store.prune(self.clock() - self.config.retention_days * 86400)
        if deleted:
            logs.event("store.pruned", rows=deleted)

    def _expiry_notice(self, command):
        if command.state != EXPIRED:
            return None
        device = self.config.devices.get(command.device)
        ttl = device.ttl if device else command.expires - command.created
        how = "was not answered" if command.deliveries else "was not picked up"
        return "Your command '%s' for %s expired: it %s within %s." % (
            command.text[:60], command.device, how, _duration(ttl))

    async def _flush_seen(self):
        seen = self.presence.take_changes()
        if seen:
            await self.store.seen(seen)
