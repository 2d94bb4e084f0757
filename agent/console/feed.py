"""Live pages: server-sent events carrying what a page shows, sent again whenever it
changed.

A page's stream re-reads the store at once when this agent changed something (every
write the agent makes goes through `Watched`) or another agent's wake-up came
(PostgreSQL's NOTIFY), and otherwise once a second, which is how any other change
made by another agent on the same database, the command line, or the clock (a
device going offline) reaches the page. The store's change feed
(`changes()`) is not used: it reports only new commands, and the agent's own
housekeeping consumes it."""

import asyncio
import contextlib
import json
import zlib

from starlette.responses import StreamingResponse

from .access import HEADERS

REREAD = 1.0  # s between re-reads when this agent changed nothing
GAP = 0.2  # s to let a burst of changes settle into one update (at most 5 a second)
KEEPALIVE = 10.0  # s between comments on a quiet stream (a gone browser is noticed)

# Store methods after which a page may show something new.
WRITES = frozenset({
    "put_device", "seen", "accept", "pending", "ack", "expire", "add_message", "message_sent",
    "message_failed", "message_status", "add_event", "claim_alert", "release_alert", "prune",
    "cancel_command", "retry_command", "log_action", "remove_device",
})


class Feed:
    """A counter of this agent's changes that pages wait on."""

    def __init__(self):
        self.version = 0
        self._changed = asyncio.Event()

    def poke(self):
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait(self, version, timeout):
        """Returns once the version moved past `version`, or after `timeout` s."""
        if self.version != version:
            return
        # asyncio.timeout, not wait_for, which on 3.11 can lose a cancellation
        # (a page closed) that comes with a change.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._changed.wait()


class Watched:
    """The agent's store, unchanged, except that its writes poke the feed."""

    def __init__(self, store, feed):
        self.inner = store
        self.feed = feed

    async def listen(self, callback):
        """Another agent's wake-up (PostgreSQL's NOTIFY: a command it accepted, a reply,
        a status, the devices) is a change a page shows at once, too."""

        def heard(kind, key):
            callback(kind, key)
            self.feed.poke()

        return await self.inner.listen(heard)

    def __getattr__(self, name):
        method = getattr(self.inner, name)
        if name not in WRITES:
            return method

        async def write(*args, **kwargs):
            try:
                return await method(*args, **kwargs)
            finally:
                self.feed.poke()

        return write


def stream(agent, feed, snapshot, first, gzip):
    """-> the SSE response: `first` (the data `snapshot()` gave just before), then
    `snapshot()` (a coroutine giving a dict of JSON-able data) each time it differs
    from the last one sent, apart from the clock's own keys ("now" and "range", which
    move every second).

    Each update carries the whole page's data: with `gzip`, one compressor runs for
    the whole stream and is flushed after each event, so an update costs about a
    tenth of its JSON and still arrives at once."""

    async def events():
        yield "retry: 1000\n\n"
        last, quiet = None, 0.0
        data = first
        while not agent._closing:
            version = feed.version
            if data is None:
                data = await snapshot()
            key = json.dumps({k: v for k, v in data.items() if k not in ("now", "range")},
                             default=str)
            if key != last:
                last, quiet = key, 0.0
                yield "data: %s\n\n" % json.dumps(data, separators=(",", ":"), default=str)
            elif quiet >= KEEPALIVE:
                quiet = 0.0
                yield ": still here\n\n"
            data = None
            await feed.wait(version, REREAD)
            await asyncio.sleep(GAP)
            quiet += REREAD

    async def compressed():
        packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip framing
        async for text in events():
            yield packer.compress(text.encode()) + packer.flush(zlib.Z_SYNC_FLUSH)

    headers = dict(HEADERS, **{"X-Accel-Buffering": "no", "Vary": "Accept-Encoding"})
    if gzip:
        headers["Content-Encoding"] = "gzip"
    return StreamingResponse(compressed() if gzip else events(), media_type="text/event-stream",
                             headers=headers)
