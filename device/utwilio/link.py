"""The device end of the agent link (agent/PROTOCOL.md): a texted command reaches a
handler and its return value is texted back; events and alerts go the other way.
A separate module so that an alert-only device never loads it: `import utwilio`
does not import this; `from utwilio.link import Link` does.

One core for both transports and both styles: the protocol steps are generators that
yield I/O operations to a driver, `_drive` (blocking) or utwilio.linkasync.drive
(asyncio, loaded only by the *_async methods), so there is one poll, one send, one
alert (events and alerts in utwilio.linksend, loaded by the first send() or alert()).
The URL scheme picks the transport module (utwilio.linkhttp or utwilio.linkmqtt): a
device loads only the one it uses."""

import json
import random
import time

RECENT = 16  # command ids remembered: more than one batch (the agent sends at most 10)
BACKOFF_MIN_MS = 1000
BACKOFF_MAX_MS = 60000


def _word(field, value):
    """A device id or command name: 1-64 letters, digits, '-', '_' or '.'."""
    ok = isinstance(value, str) and 0 < len(value) <= 64
    for c in value if ok else "":
        if not ("a" <= c <= "z" or "A" <= c <= "Z" or "0" <= c <= "9" or c in "-_."):
            ok = False
    if not ok:
        from utwilio.linkfail import word

        raise word(field, value)
    return value


def _channel(url):
    """The transport module's Channel class for the URL's scheme."""
    if isinstance(url, str) and " " not in url:
        if url.startswith("mqtt://") or url.startswith("mqtts://"):
            from utwilio.linkmqtt import Channel

            return Channel
        if url.startswith("http://") or url.startswith("https://"):
            from utwilio.linkhttp import Channel

            return Channel
    from utwilio.linkfail import url as bad_url

    raise bad_url(url)


def _well_formed(cmds):
    if not isinstance(cmds, list):
        return False
    for c in cmds:
        if not (isinstance(c, dict) and isinstance(c.get("id"), str)
                and isinstance(c.get("name"), str)):
            return False
    return True


def _failed(name, e):
    return "command '%s' failed: %s: %s" % (name, type(e).__name__, e)


class Link:
    """`Link(agent_url, device_id, token)`; `on(name, handler)`; then `run()`, or
    `poll()` from your own loop, or `asyncio.create_task(link.run_async())`.

    `agent_url`: the agent (`https://…`, HTTP long-poll) or its MQTT broker
    (`mqtts://host:8883`). `wait`: seconds a poll may wait for a command; `timeout`:
    seconds for any other exchange, and the margin over `wait`. After a failed
    exchange the link waits 1 s, 2 s, 4 s … up to 60 s (each with random jitter)
    before the next. `error` says why the last call failed (None after a success);
    `failures` counts failed polls in a row."""

    def __init__(self, agent_url, device_id, token, *, cadata=None, verify=True, wait=25,
                 timeout=15):
        channel = _channel(agent_url)
        _word("device_id", device_id)
        if not isinstance(token, str) or not token or not isinstance(wait, int) or not (
                0 <= wait <= 60):
            from utwilio.linkfail import settings

            raise settings(token, wait)
        self.channel = channel(agent_url, device_id, token, cadata, verify, timeout)
        self.wait = wait
        self.command = None
        self.error = None
        self.failures = 0
        self._handlers = {}
        self._on_status = None
        self._recent = []
        self._delay = BACKOFF_MIN_MS
        self._retry_at = 0
        self._running = False
        self._lock = None
        self._queued = 0

    def on(self, name, handler):
        """`handler(args)` runs for the command `name` (case-insensitive): for "fan on"
        it gets "on" (or ""). Its return value is the reply (None: no text back); an
        exception it raises becomes the reply "command 'fan' failed: …". While it runs,
        `link.command` is the whole command (the sender is `link.command["from"]`).
        Any other name gets the reply "unknown command 'x'; try: fan, status"."""
        self._handlers[_word("command name", name).lower()] = handler

    def on_status(self, fn):
        """`fn(status)` runs for each delivery status the agent forwards (its alerts'
        and REST replies' SMS: {"sid", "status", "error_code", "kind", "command_id"})."""
        self._on_status = fn

    def stop(self):
        """Makes run() / run_async() return after the current exchange."""
        self._running = False

    def close(self):
        """Closes the link's connection (MQTT; HTTP keeps none open)."""
        self.channel.close()

    def run(self):
        """Waits for commands and runs them until stop(); nothing short of
        KeyboardInterrupt ends it otherwise (an out-of-memory exchange backs off)."""
        self._running = True
        while self._running:
            try:
                self.poll(self.wait)
            except Exception as e:
                self._crashed(e)
            pause = self._pause_ms()
            if pause:
                time.sleep_ms(pause)

    async def run_async(self):
        """run() as an asyncio task; a handler may be `async def` here."""
        from utwilio.linkasync import run

        await run(self)

    def poll(self, wait=0):
        """One exchange: fetch commands (waiting up to `wait` s for one), run them and
        acknowledge them with their replies. -> commands done; returns 0 at once while
        backing off after a failure."""
        return self._drive(self._poll(wait))

    async def poll_async(self, wait=0):
        from utwilio.linkasync import drive

        return await drive(self, self._poll(wait))

    def send(self, name, data=None):
        """Sends an event (any JSON value) to the agent. -> its event id, or None
        (`link.error` says why)."""
        from utwilio.linksend import event

        return self._drive(event(self, name, data))

    async def send_async(self, name, data=None):
        from utwilio.linkasync import drive
        from utwilio.linksend import event

        return await drive(self, event(self, name, data))

    def alert(self, message, key=None):
        """Asks the agent to text the device's contacts (no Twilio credentials on the
        device). `key` names the alert for the agent's cool-down. -> the message sids,
        or None when nothing was sent (`link.error` says why, e.g. cooling down)."""
        from utwilio.linksend import alert

        return self._drive(alert(self, message, key))

    async def alert_async(self, message, key=None):
        from utwilio.linkasync import drive
        from utwilio.linksend import alert

        return await drive(self, alert(self, message, key))

    # -- the one core: generators of I/O operations -----------------------------------

    def _poll(self, wait):
        if self._pause_ms():
            return 0
        cmds = self._commands((yield from self.channel.poll(wait, self._wanted)))
        done = 0
        for cmd in cmds:
            entry = self._recall(cmd)
            if entry is None:
                entry = yield from self._run(cmd)
            if not self._acked((yield from self.channel.ack(entry[0], entry[1]))):
                break
            done += 1
        return done

    def _wanted(self):
        """Another exchange waits for the connection (asyncio, MQTT)."""
        return self._queued > 0

    def _run(self, cmd):
        name = cmd["name"]
        try:
            handler = self._handlers.get(name.lower())
            if handler is None:
                names = ", ".join(sorted(self._handlers)) or "(none: no handlers registered)"
                reply = "unknown command '%s'; try: %s" % (name[:20], names)
            else:
                self.command = cmd
                reply = handler(cmd.get("args") or "")
                if hasattr(reply, "send") and hasattr(reply, "close"):  # a coroutine
                    reply = yield ("await", reply, name)
        except Exception as e:
            reply = _failed(name, e)
        return self._remember(cmd, reply)

    # -- the drivers ------------------------------------------------------------------

    def _drive(self, steps):
        """Runs the steps with blocking I/O; an I/O error is thrown back into them."""
        value = error = None
        while True:
            try:
                op = steps.throw(error) if error else steps.send(value)
            except StopIteration as e:
                return e.value
            error = None
            try:
                if op[0] == "await":
                    op[1].close()
                    value = "command '%s' is async: run the link with run_async()" % op[2]
                else:
                    value = self.channel.io(op)
            except Exception as e:
                value, error = None, e

    # -- commands ----------------------------------------------------------------

    def _recall(self, cmd):
        """The [id, reply] of a command already run: a redelivery is acked, not rerun."""
        for entry in self._recent:
            if entry[0] == cmd["id"]:
                return entry
        return None

    def _remember(self, cmd, reply):
        self.command = None
        if reply is not None and not isinstance(reply, str):
            reply = str(reply)
        entry = [cmd["id"], reply]
        if len(self._recent) >= RECENT:
            self._recent.pop(0)
        self._recent.append(entry)
        return entry

    # -- answers and backoff -----------------------------------------------------

    def _answer(self, reply):
        """(status, JSON bytes or object) -> the agent's JSON object for a 2xx, else None
        and `error`; a status below 100 is a transport failure and its message."""
        status, data = reply
        if status < 100:
            self.error = "agent unreachable: %s" % data
            return None
        obj = data
        if isinstance(data, (bytes, str)):
            try:
                obj = json.loads(data)  # pyright: ignore[reportArgumentType]  (bytes: fine)
            except Exception:
                obj = None
        if 200 <= status < 300 and isinstance(obj, dict):
            self.error = None
            return obj
        from utwilio.linkfail import answer

        self.error = answer(status, data, obj)
        return None

    def _commands(self, reply):
        """-> the commands in a poll's answer (its statuses go to on_status); () after a
        failure, which backs off."""
        answer = self._answer(reply)
        cmds = answer.get("commands", ()) if answer is not None else ()
        if answer is None or not _well_formed(cmds):
            if answer is not None:
                self.error = "agent sent a malformed command list: " + repr(answer)[:80]
            self._fail()
            return ()
        self.failures = 0
        self._delay = BACKOFF_MIN_MS
        for status in answer.get("statuses") or ():
            if self._on_status is not None:
                try:
                    self._on_status(status)
                except Exception as e:
                    print("utwilio.link: status handler failed: %s: %s" % (type(e).__name__, e))
        return cmds

    def _acked(self, reply):
        """A 404 means the agent no longer holds the command (expired): done too."""
        if reply[0] == 404 or self._answer(reply) is not None:
            self.error = None
            return True
        self._fail()
        return False

    def _fail(self):
        """Waits half the current delay plus a random part of the other half, then
        doubles the delay up to BACKOFF_MAX_MS; a successful poll resets it."""
        if not self.failures:
            print("utwilio.link: %s; retrying with backoff" % self.error)
        self.failures += 1
        half = self._delay // 2
        wait = half + random.getrandbits(8) * (self._delay - half) // 256
        self._retry_at = time.ticks_add(time.ticks_ms(), max(wait, 1))
        self._delay = min(self._delay * 2, BACKOFF_MAX_MS)

    def _crashed(self, e):
        self.command = None
        self.error = "%s: %s" % (type(e).__name__, e)
        self._fail()

    def _pause_ms(self):
        if not self.failures:
            return 0
        return max(0, time.ticks_diff(self._retry_at, time.ticks_ms()))
