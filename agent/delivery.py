"""The device link, apart from HTTP: who a token belongs to, long-polls that wait for
commands, acks that carry replies, events."""

import asyncio

from . import logs, tokens, validate
from .errors import BadRequest, NotFound
from .ids import new_id
from .store import ROUTE_REST, ROUTE_TWIML
from .twilio_rest import MAX_BODY

POLL_LIMIT = 10  # commands per poll answer (PROTOCOL.md)


class Delivery:
    def authenticate(self, device_id, token):
        """-> 200 (the token is this device's), 403 (another device's) or 401."""
        if tokens.matches(token, self.tokens.get(device_id)):
            self.presence.touch(device_id, self.clock())
            return 200
        return 403 if tokens.token_hash(token) in self._owners else 401

    async def poll(self, device_id, wait):
        """Commands (and status updates) for the device; waits up to `wait` s for one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        self.presence.enter(device_id)
        try:
            while True:
                future = loop.create_future()
                waiting = self._polls.setdefault(device_id, set())
                waiting.add(future)
                try:
                    commands, statuses = await self.store.pending(
                        device_id, self.clock(), POLL_LIMIT)
                    if commands or statuses or loop.time() >= deadline or self._closing:
                        break
                    try:
                        async with asyncio.timeout_at(deadline):
                            await future
                    except TimeoutError:
                        commands, statuses = [], []
                        break
                finally:
                    waiting.discard(future)
                    if not waiting and self._polls.get(device_id) is waiting:
                        del self._polls[device_id]
        finally:
            self.presence.leave(device_id, self.clock())
        if commands:
            logs.event("commands.delivered", device=device_id,
                       commands=[c.id for c in commands])
        answer = {"commands": [c.for_link() for c in commands]}
        if statuses:
            answer["statuses"] = statuses
        return answer

    async def ack(self, device_id, command_id, reply):
        """The device ran the command. Raises NotFound if it holds no such command, and
        BadRequest for a reply no store can hold — after closing the command without
        a reply, so that it does not come back to the device until its TTL."""
        if reply is not None:
            reply = reply[:MAX_BODY]
            problem = validate.problem(reply)
            if problem:
                await self._settle(device_id, command_id, None)
                raise BadRequest("reply %s: the command is closed without a reply; send "
                                 "valid Unicode text" % problem)
        await self._settle(device_id, command_id, reply)

    async def _settle(self, device_id, command_id, reply):
        acked = await self.store.ack(device_id, command_id, reply, self.clock())
        if acked is None:
            raise NotFound("no such command for %s (expired, or never delivered)" % device_id)
        if not acked.first:
            return
        route = acked.command.reply_route
        logs.event("command.acked", device=device_id, command=command_id, route=route,
                   debug={"reply": reply})
        if route == ROUTE_TWIML:
            waiter = self._replies.get(command_id)
            if waiter is not None and not waiter.done():
                waiter.set_result(acked.command.reply)
        elif route == ROUTE_REST and acked.message is not None:
            self._outbox_wake.set()

    async def event(self, device_id, name, data):
        validate.check("name", name)
        validate.check("data", data)
        event_id = await self.store.add_event(new_id("EV"), device_id, name, data, self.clock())
        logs.event("device.event", device=device_id, id=event_id, name=name)
        return event_id
