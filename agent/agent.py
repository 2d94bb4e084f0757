"""The agent's work, apart from HTTP: commands in from SMS, out to devices, replies
back to the sender; alerts out; expiry; presence.

A webhook waits for its device's reply up to `reply_deadline`: the ack that comes in
time claims the waiting webhook (on the event loop, so the webhook's deadline and the
ack cannot both take it) and the reply rides in the TwiML answer; a later ack queues
the reply for the outbox, which sends it through Twilio's REST API."""

import asyncio
import contextlib
import math
import random

from utwilio.errors import TransportError, TwilioError
from utwilio.reply import twiml

from . import logs, routing, tokens
from .presence import Presence
from .store import EXPIRED, OUT_FAILED, PENDING, ROUTE_REST, ROUTE_TWIML, Command, Message
from .twilio_rest import MAX_BODY, TwilioRest, retry_after, retryable

POLL_LIMIT = 10  # commands per poll answer (PROTOCOL.md)
CLAIM_GRACE = 3.0  # s a claimed webhook waits past its deadline for the ack's commit
TICK = 1.0  # s between housekeeping rounds (expiry, other processes' commands)
SEEN_FLUSH = 10  # ticks between writes of last-seen times
PRUNE_EVERY = 3600  # ticks between deletions of history older than retention_days
OUTBOX_BATCH = 32
MAX_ATTEMPTS = 8
NO_REPLY = object()


class BadRequest(ValueError):
    """The request is malformed; the message says what to send instead."""


class _ReplyWaiter:
    __slots__ = ("device", "future", "claimed")

    def __init__(self, device, future):
        self.device = device
        self.future = future
        self.claimed = False


def new_id(prefix):
    """Unique, not secret: a command id grants nothing (acks are checked per device), so
    the fast generator (seeded from the OS at start) serves instead of one syscall each."""
    return "%s%032x" % (prefix, random.getrandbits(128))


def _duration(seconds):
    if seconds >= 3600 and seconds % 3600 == 0:
        return "%d h" % (seconds // 3600)
    if seconds >= 60 and seconds % 60 == 0:
        return "%d min" % (seconds // 60)
    return "%g s" % seconds


class Agent:
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
        self._replies = {}  # command id -> _ReplyWaiter of the webhook waiting for it
        self._outbox_wake = asyncio.Event()
        self._in_flight = set()
        self._tasks = []
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
        await self.load_devices()
        self._last_seq = (await self.store.changes(0) or (0, set(), True))[0]
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
        webhooks answer with the acknowledgement, so no request holds the shutdown."""
        self._closing = True
        for device in list(self._polls):
            self._wake(device)
        for waiter in self._replies.values():
            if not waiter.claimed and not waiter.future.done():
                waiter.future.set_result(NO_REPLY)

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
        await self._flush_seen()
        if self.rest is not None:
            await self.rest.close()
        await self.store.close()
        logs.event("agent.stopped")

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

    # -- inbound SMS -------------------------------------------------------------------

    async def inbound(self, params, idempotency_token=None):
        """An inbound-SMS webhook whose signature is valid -> the TwiML answer."""
        sender, to = params.get("From", ""), params.get("To", "")
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        if not (sender and to and sid):
            raise BadRequest("an inbound SMS webhook needs From, To and MessageSid")
        device, text, asked = routing.route(self.config, to, params.get("Body", ""))
        if device is None or sender not in device.allow:
            return self._refuse(sender, device, asked)
        name, args = routing.split(text)
        if not name:
            hint = "'%s: status'" % device.id if self.config.routing == "prefix" else "'status'"
            return twiml("Send a command for %s, like %s." % (device.id, hint))
        now = self.clock()
        command = Command(new_id("CM"), device.id, sender, to, text, name, args, now,
                          now + device.ttl, message_sid=sid)
        waiter = None
        if self.config.reply_deadline > 0:
            waiter = _ReplyWaiter(device.id, asyncio.get_running_loop().create_future())
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
                return self._answer_again(accepted.command)
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

    def _answer_again(self, command):
        """Twilio retried a webhook: answer as before, store nothing new."""
        if command.reply_route == ROUTE_TWIML and command.reply:
            return twiml(command.reply)
        if command.state == PENDING:
            return twiml(self._acknowledgement(command.device))
        return twiml(None)

    async def _reply_for(self, command_id, waiter):
        if self._closing:
            return NO_REPLY
        try:
            async with asyncio.timeout(self.config.reply_deadline):
                return await asyncio.shield(waiter.future)
        except TimeoutError:
            pass
        if not waiter.claimed:
            self._replies.pop(command_id, None)
            return NO_REPLY
        try:
            async with asyncio.timeout(CLAIM_GRACE):
                return await asyncio.shield(waiter.future)
        except TimeoutError:
            logs.warning("reply.lost", command=command_id)
            return NO_REPLY

    # -- the device link ---------------------------------------------------------------

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

    def _wake(self, device_id):
        for waker in self.wakers:
            waker(device_id)
        for future in self._polls.pop(device_id, ()):
            if not future.done():
                future.set_result(None)

    async def ack(self, device_id, command_id, reply):
        """-> False if the device holds no such command."""
        if reply is not None:
            reply = reply[:MAX_BODY]
        waiter = self._replies.get(command_id)
        claimed = waiter is not None and waiter.device == device_id and not waiter.future.done()
        if claimed:
            self._replies.pop(command_id)
            waiter.claimed = True
        try:
            acked = await self.store.ack(device_id, command_id, reply,
                                         ROUTE_TWIML if claimed else ROUTE_REST, self.clock())
        except BaseException:
            if claimed and not waiter.future.done():
                waiter.future.set_result(NO_REPLY)
            raise
        if claimed and not waiter.future.done():
            first = acked is not None and acked.first
            waiter.future.set_result(acked.command.reply if first else NO_REPLY)
        if acked is None:
            return False
        if acked.first:
            logs.event("command.acked", device=device_id, command=command_id,
                       route=acked.command.reply_route, debug={"reply": reply})
            if acked.message is not None and acked.command.reply_route == ROUTE_REST:
                self._outbox_wake.set()
        return True

    async def event(self, device_id, name, data):
        event_id = await self.store.add_event(new_id("EV"), device_id, name, data, self.clock())
        logs.event("device.event", device=device_id, id=event_id, name=name)
        return event_id

    # -- alerts ------------------------------------------------------------------------

    async def alert(self, device_id, text, key):
        """-> (HTTP status, JSON answer) per PROTOCOL.md."""
        device = self.config.devices.get(device_id)
        if device is None or not device.contacts:
            return 409, {"error": "the agent has no contacts for %s: add contacts = "
                         "[\"+15551234567\"] under [devices.%s] in its configuration"
                         % (device_id, device_id)}
        sender = self.config.alert_from(device)
        if self.rest is None or not sender:
            return 503, {"error": "the agent cannot send SMS: it needs TWILIO_ACCOUNT_SID, "
                         "TWILIO_AUTH_TOKEN and a number ([twilio] number)"}
        now = self.clock()
        alert_id, wait = await self.store.claim_alert(
            device_id, key or text, now, device.alerts_per_hour, device.alert_cooldown)
        if alert_id is None:
            logs.event("alert.refused", device=device_id, retry_after=math.ceil(wait))
            return 429, {"error": "alert not sent: %s" % (
                "the same alert is cooling down" if key or device.alert_cooldown else
                "more than %d alerts in an hour" % device.alerts_per_hour),
                "retry_after": math.ceil(wait)}
        results = await asyncio.gather(
            *(self._send_alert(device_id, contact, sender, text, now)
              for contact in device.contacts))
        sent = [r for r in results if isinstance(r, str)]
        failed = [r for r in results if not isinstance(r, str)]
        logs.event("alert.sent", device=device_id, sent=len(sent), failed=len(failed))
        if sent:
            answer = {"sent": sent}
            if failed:
                answer["failed"] = failed
            return 202, answer
        await self.store.release_alert(alert_id)
        waits = [f["retry_after"] for f in failed if f.get("retry_after") is not None]
        if waits:
            return 429, {"error": "Twilio is rate-limiting the agent", "retry_after": max(waits)}
        return 502, {"error": "Twilio refused the alert: %s" % failed[0]["error"],
                     "failed": failed}

    async def _send_alert(self, device_id, to, sender, text, now):
        message = await self.store.add_message(
            Message(None, device_id, "alert", to, sender, text, "sending", now))
        try:
            data = await self.rest.send(to, sender, text, self._status_url())
        except (TwilioError, TransportError) as error:
            code = getattr(error, "code", None)
            status = getattr(error, "status", 0)
            await self.store.message_failed(message.id, code, error.message, self.clock())
            failure = {"to": to, "code": code, "error": error.message}
            if status == 429:
                failure["retry_after"] = math.ceil(retry_after(error) or 1)
            return failure
        await self.store.message_sent(message.id, data["sid"], data.get("status"), self.clock())
        return data["sid"]

    def _status_url(self):
        return self.config.public_url + "/twilio/status" if self.config.public_url else None

    # -- status callbacks --------------------------------------------------------------

    async def status(self, params):
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        status = params.get("MessageStatus") or params.get("SmsStatus") or ""
        if not (sid and status):
            raise BadRequest("a status callback needs MessageSid and MessageStatus")
        code = params.get("ErrorCode") or None
        try:
            code = int(code) if code is not None else None
        except ValueError:
            raise BadRequest("ErrorCode must be a number, got %r" % code) from None
        message = await self.store.message_status(sid, status, code, self.clock())
        if message is None:
            logs.event("status.unknown", message_sid=sid, status=status)
            return
        logs.event("status.recorded", message_sid=sid, status=status, error_code=code,
                   device=message.device)
        if message.device:
            self._wake(message.device)

    # -- queued from the command line --------------------------------------------------

    async def queue(self, device_id, text, sender="cli"):
        """A command typed at the CLI (`utwilio-agent send`): -> Accepted."""
        device = self.config.devices.get(device_id)
        ttl = device.ttl if device else 3600.0
        cap = device.queue_cap if device else 100
        name, args = routing.split(text)
        if not name:
            raise BadRequest("the command is empty")
        now = self.clock()
        command = Command(new_id("CM"), device_id, sender, "", text.strip(), name, args, now,
                          now + ttl)
        return await self.store.accept(command, None, cap, now)

    # -- background work ---------------------------------------------------------------

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
        devices that another process (the CLI) stored."""
        expired = await self.store.expire(self.clock(), self._expiry_notice)
        for command in expired:
            logs.event("command.expired", device=command.device, command=command.id)
        if expired:
            self._outbox_wake.set()
        change = await self.store.changes(self._last_seq)
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

    async def _outbox(self):
        """Sends queued replies and expiry notices; retries on 429/5xx/no answer."""
        while True:
            try:
                await asyncio.wait_for(self._outbox_wake.wait(), TICK)
            except TimeoutError:
                pass
            self._outbox_wake.clear()
            if self.rest is None:
                continue
            try:
                due = await self.store.due_messages(self.clock(), OUTBOX_BATCH, self._in_flight)
            except Exception:
                logs.LOGGER.exception("outbox.failed")
                continue
            for message in due:
                self._in_flight.add(message.id)
                asyncio.create_task(self._send_queued(message))

    async def _send_queued(self, message):
        try:
            try:
                data = await self.rest.send(message.to, message.sender, message.body,
                                            self._status_url())
            except (TwilioError, TransportError) as error:
                now = self.clock()
                retry_at = None
                if retryable(error) and message.attempts + 1 < MAX_ATTEMPTS:
                    retry_at = now + (retry_after(error) or min(2 ** message.attempts, 300))
                await self.store.message_failed(message.id, getattr(error, "code", None),
                                                error.message, now, retry_at)
                logs.warning("message.failed", id=message.id, kind=message.kind,
                             code=getattr(error, "code", None),
                             state="retry" if retry_at else OUT_FAILED)
                return
            await self.store.message_sent(message.id, data["sid"], data.get("status"),
                                          self.clock())
            logs.event("message.sent", id=message.id, kind=message.kind, sid=data["sid"])
        except Exception:
            logs.LOGGER.exception("message.send_failed")
        finally:
            self._in_flight.discard(message.id)

    # -- the dashboard -----------------------------------------------------------------

    async def overview(self, limit=50):
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
