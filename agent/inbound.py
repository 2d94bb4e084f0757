"""Twilio's calls in: an inbound SMS becomes a command (or a refusal) and its TwiML
answer; status callbacks; commands typed at the CLI.

A webhook waits for its device's reply up to `reply_deadline`. The command's row
says so (`reply_wait`); the ack, on whichever agent it lands, takes the reply for
TwiML only while that holds, and the webhook at its deadline releases it (one UPDATE
each in the database: whichever comes first decides). The webhook learns of an ack
on its own agent at once, of one on another agent by a NOTIFY."""

import asyncio

from utwilio.reply import twiml

from . import logs, routing, validate
from .errors import BadRequest
from .ids import new_id
from .store import PENDING, ROUTE_TWIML, Command

NO_REPLY = object()
CHECKED_PARAMS = ("From", "To", "Body", "MessageSid", "SmsSid")


class Inbound:
    async def inbound(self, params, idempotency_token=None):
        """An inbound-SMS webhook whose signature is valid -> the TwiML answer."""
        sender, to = params.get("From", ""), params.get("To", "")
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        if not (sender and to and sid):
            raise BadRequest("an inbound SMS webhook needs From, To and MessageSid")
        for name in CHECKED_PARAMS:
            validate.check(name, params.get(name, ""))
        if idempotency_token:
            validate.check("I-Twilio-Idempotency-Token", idempotency_token)
        device, text, asked = routing.route(self.config, to, params.get("Body", ""))
        if device is None or sender not in device.allow:
            return self._refuse(sender, device, asked)
        name, args = routing.split(text)
        if not name:
            hint = "'%s: status'" % device.id if self.config.routing == "prefix" else "'status'"
            return twiml("Send a command for %s, like %s." % (device.id, hint))
        now = self.clock()
        deadline = self.config.reply_deadline
        command = Command(new_id("CM"), device.id, sender, to, text, name, args, now,
                          now + device.ttl, message_sid=sid,
                          reply_wait=now + deadline if deadline > 0 else None)
        waiter = None
        if deadline > 0:
            waiter = asyncio.get_running_loop().create_future()
            self._replies[command.id] = waiter
        try:
            accepted = await self.store.accept(command, idempotency_token, device.queue_cap, now)
            if accepted.outcome == "new":
                self._wake(device.id)
                logs.event("command.accepted", device=device.id, command=command.id,
                           message_sid=sid, debug={"text": text})
                reply = await self._reply_for(command.id, waiter) if waiter else NO_REPLY
            elif accepted.outcome == "duplicate":
                logs.event("command.duplicate", device=device.id, message_sid=sid,
                           command=accepted.command.id)
                return await self._answer_again(accepted.command)
            else:
                logs.warning("command.refused.queue_full", device=device.id, message_sid=sid)
                return twiml("%s is busy: %d commands are waiting. Try again later."
                             % (device.id, device.queue_cap))
        finally:
            self._replies.pop(command.id, None)
        if reply is NO_REPLY:
            return twiml(self._acknowledgement(device.id))
        return twiml(reply)

    def _refuse(self, sender, device, asked):
        if any(sender in d.allow for d in self.config.devices.values()):
            logs.event("command.refused.device", sender_known=True)
            if self.config.routing == "prefix" and device is None:
                names = sorted(d.id for d in self.config.devices.values() if sender in d.allow)
                return twiml("Start with a device name, like '%s: status'. Yours: %s."
                             % (names[0], ", ".join(names)))
            if device is None:
                return twiml("No device answers at %s." % asked)
            return twiml("You may not command %s." % asked)
        logs.event("command.refused.sender", sender_known=False)
        return twiml(self.config.unknown_sender_reply or None)

    def _acknowledgement(self, device_id):
        return self.config.acknowledgement.replace("{device}", device_id) or None

    async def _answer_again(self, command):
        """Twilio retried a webhook: answer as before, store nothing new. The first
        webhook's wait is over (its agent may have died): a later ack goes by REST."""
        if command.state == PENDING and command.reply_wait is not None:
            if not await self.store.release_reply(command.id):
                command = await self.store.command(command.id)
        if command.reply_route == ROUTE_TWIML and command.reply:
            return twiml(command.reply)
        if command.state == PENDING:
            return twiml(self._acknowledgement(command.device))
        return twiml(None)

    async def _reply_for(self, command_id, waiter):
        """The device's reply if it comes in time, else NO_REPLY."""
        if not self._closing:
            try:
                async with asyncio.timeout(self.config.reply_deadline):
                    reply = await asyncio.shield(waiter)
                if reply is not None:
                    return reply  # acked here: the reply is known
            except TimeoutError:
                pass
        if await self.store.release_reply(command_id):
            return NO_REPLY
        command = await self.store.command(command_id)
        if command.reply_route == ROUTE_TWIML and command.reply:
            return command.reply
        return NO_REPLY

    async def status(self, params):
        """A message status callback: recorded, and forwarded to the message's device."""
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        status = params.get("MessageStatus") or params.get("SmsStatus") or ""
        if not (sid and status):
            raise BadRequest("a status callback needs MessageSid and MessageStatus")
        validate.check("MessageSid", sid)
        validate.check("MessageStatus", status)
        code = validate.code("ErrorCode", params.get("ErrorCode"))
        message = await self.store.message_status(sid, status, code, self.clock())
        if message is None:
            logs.event("status.unknown", message_sid=sid, status=status)
            return
        logs.event("status.recorded", message_sid=sid, status=status, error_code=code,
                   device=message.device)
        if message.device:
            self._wake(message.device)

    async def queue(self, device_id, text, sender="cli"):
        """A command typed at the CLI (`utwilio-agent send`): -> Accepted."""
        device = self.config.devices.get(device_id)
        ttl = device.ttl if device else 3600.0
        cap = device.queue_cap if device else 100
        validate.check("the command", text)
        name, args = routing.split(text)
        if not name:
            raise BadRequest("the command is empty")
        now = self.clock()
        command = Command(new_id("CM"), device_id, sender, "", text.strip(), name, args, now,
                          now + ttl)
        accepted = await self.store.accept(command, None, cap, now)
        if accepted.outcome == "new":
            self._wake(device_id)
        return accepted
