"""The device end of the agent link (agent/PROTOCOL.md): a texted command reaches a
handler and its return value is texted back; events and alerts go the other way.
A separate module so that an alert-only device never loads it: `import utwilio`
does not import this; `from utwilio.link import Link` does."""

import json
import random
import time

from utwilio import validate
from utwilio.errors import TransportError

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
        raise ValueError("%s must be 1-64 letters, digits, '-', '_' or '.' like 'greenhouse-1', "
                         "got %r" % (field, value))
    return value


def _text(field, value, limit):
    if isinstance(value, str) and 0 < len(value) <= limit:
        return value
    got = "%d characters" % len(value) if isinstance(value, str) and value else repr(value)
    raise ValueError("%s must be a str of 1-%d characters, got %s" % (field, limit, got))


def _well_formed(cmds):
    if not isinstance(cmds, list):
        return False
    for c in cmds:
        if not (isinstance(c, dict) and isinstance(c.get("id"), str)
                and isinstance(c.get("name"), str)):
            return False
    return True


def _awaitable(value):
    return hasattr(value, "send") and hasattr(value, "close")


def _refuse(coro, name):
    coro.close()
    return "command '%s' is async: run the link with run_async()" % name


async def _settle(coro):
    return await coro


def _failed(name, e):
    return "command '%s' failed: %s: %s" % (name, type(e).__name__, e)


class Link:
    """`Link(agent_url, device_id, token)`; `on(name, handler)`; then `run()`, or
    `poll()` from your own loop, or `asyncio.create_task(link.run_async())`.

    `wait`: seconds the agent may hold a long-poll; `timeout`: seconds for any other
    request, and the margin over `wait` for a long-poll. After a failed exchange the
    link waits 1 s, 2 s, 4 s … up to 60 s (each with random jitter) before the next.
    `error` says why the last call failed (None after a success); `failures` counts
    failed polls in a row."""

    def __init__(self, agent_url, device_id, token, *, cadata=None, verify=True, wait=25,
                 timeout=15):
        from utwilio.http import for_url

        validate.url("agent_url", agent_url)
        _word("device_id", device_id)
        if not isinstance(token, str) or not token:
            raise ValueError("token must be the device's token, a non-empty str (from "
                             "`utwilio-agent device add NAME`)")  # never echo a secret
        if not isinstance(wait, int) or not 0 <= wait <= 60:
            raise ValueError("wait must be whole seconds from 0 to 60, got %r" % (wait,))
        self.transport = for_url(agent_url, cadata, verify, timeout)
        self.wait = wait
        self.timeout = timeout
        self.command = None
        self.error = None
        self.failures = 0
        self._base = agent_url.rstrip("/") + "/link/v1/devices/" + device_id
        self._headers = {"Authorization": "Bearer " + token, "Accept": "application/json",
                         "Content-Type": "application/json"}
        self._handlers = {}
        self._recent = []
        self._delay = BACKOFF_MIN_MS
        self._retry_at = 0
        self._running = False

    def on(self, name, handler):
        """`handler(args)` runs for the command `name` (case-insensitive): for "fan on"
        it gets "on" (or ""). Its return value is the reply (None: no text back); an
        exception it raises becomes the reply "command 'fan' failed: …". While it runs,
        `link.command` is the whole command (the sender is `link.command["from"]`).
        Any other name gets the reply "unknown command 'x'; try: fan, status"."""
        self._handlers[_word("command name", name).lower()] = handler

    def stop(self):
        """Makes run() / run_async() return after the current exchange."""
        self._running = False

    def run(self):
        """Long-polls the agent and runs commands until stop(); nothing short of
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
        import asyncio

        self._running = True
        while self._running:
            try:
                await self.poll_async(self.wait)
            except Exception as e:
                self._crashed(e)
            pause = self._pause_ms()
            if pause:
                await asyncio.sleep(pause / 1000)

    def poll(self, wait=0):
        """One exchange: fetch commands (the agent may hold the request `wait` s for
        one), run them and acknowledge them with their replies. -> commands done;
        returns 0 at once while backing off after a failure."""
        if self._pause_ms():
            return 0
        cmds = self._commands(self._call("GET", "/commands?wait=%d" % wait, None, wait))
        done = 0
        for cmd in cmds:
            entry = self._recall(cmd) or self._run(cmd)
            if not self._acked(self._call("POST", *self._ack(entry))):
                break
            done += 1
        return done

    async def poll_async(self, wait=0):
        """poll() for asyncio."""
        if self._pause_ms():
            return 0
        cmds = self._commands(await self._call_async("GET", "/commands?wait=%d" % wait, None,
                                                     wait))
        done = 0
        for cmd in cmds:
            entry = self._recall(cmd) or await self._run_async(cmd)
            if not self._acked(await self._call_async("POST", *self._ack(entry))):
                break
            done += 1
        return done

    def send(self, name, data=None):
        """Sends an event (any JSON value) to the agent. -> its event id, or None
        (`link.error` says why)."""
        answer = self._answer(self._call("POST", *self._event(name, data)))
        return answer and answer.get("id")

    async def send_async(self, name, data=None):
        answer = self._answer(await self._call_async("POST", *self._event(name, data)))
        return answer and answer.get("id")

    def alert(self, message, key=None):
        """Asks the agent to text the device's contacts (no Twilio credentials on the
        device). `key` names the alert for the agent's cool-down. -> the message sids,
        or None when nothing was sent (`link.error` says why, e.g. cooling down)."""
        answer = self._answer(self._call("POST", *self._alert(message, key)))
        return answer and answer.get("sent")

    async def alert_async(self, message, key=None):
        answer = self._answer(await self._call_async("POST", *self._alert(message, key)))
        return answer and answer.get("sent")

    # -- commands ----------------------------------------------------------------

    def _recall(self, cmd):
        """The [id, reply] of a command already run: a redelivery is acked, not rerun."""
        for entry in self._recent:
            if entry[0] == cmd["id"]:
                return entry
        return None

    def _start(self, cmd):
        name = cmd["name"]
        handler = self._handlers.get(name.lower())
        if handler is None:
            names = ", ".join(sorted(self._handlers)) or "(none: no handlers registered)"
            return "unknown command '%s'; try: %s" % (name[:20], names)
        self.command = cmd
        return handler(cmd.get("args") or "")

    def _run(self, cmd):
        try:
            reply = self._start(cmd)
            if _awaitable(reply):
                reply = _refuse(reply, cmd["name"])
        except Exception as e:
            reply = _failed(cmd["name"], e)
        return self._remember(cmd, reply)

    async def _run_async(self, cmd):
        try:
            reply = self._start(cmd)
            if _awaitable(reply):
                reply = await _settle(reply)
        except Exception as e:
            reply = _failed(cmd["name"], e)
        return self._remember(cmd, reply)

    def _remember(self, cmd, reply):
        self.command = None
        if reply is not None and not isinstance(reply, str):
            reply = str(reply)
        entry = [cmd["id"], reply]
        if len(self._recent) >= RECENT:
            self._recent.pop(0)
        self._recent.append(entry)
        return entry

    def _ack(self, entry):
        return "/commands/%s/ack" % entry[0], json.dumps({"reply": entry[1]}).encode(), 0

    def _event(self, name, data):
        body = {"name": _text("name", name, 64), "data": data}
        return "/events", json.dumps(body).encode(), 0

    def _alert(self, message, key):
        body = {"message": _text("message", message, validate.MAX_BODY)}
        if key is not None:
            body["key"] = _text("key", key, 200)
        return "/alerts", json.dumps(body).encode(), 0

    # -- exchanges and backoff -----------------------------------------------------

    def _call(self, method, path, body, wait):
        self.transport.timeout = self.timeout + wait
        try:
            answer = self.transport.request(method, self._base + path, self._headers, body)
        except TransportError as e:
            return e.code, e.message
        return answer[0], answer[2]

    async def _call_async(self, method, path, body, wait):
        self.transport.timeout = self.timeout + wait
        try:
            answer = await self.transport.request_async(method, self._base + path,
                                                        self._headers, body)
        except TransportError as e:
            return e.code, e.message
        return answer[0], answer[2]

    def _answer(self, reply):
        """(status, body) -> the agent's JSON object for a 2xx, else None and `error`."""
        status, data = reply
        if status < 100:
            self.error = "agent unreachable: %s" % data
            return None
        try:
            obj = json.loads(data)
        except Exception:
            obj = None
        if 200 <= status < 300 and isinstance(obj, dict):
            self.error = None
            return obj
        why = obj.get("error") if isinstance(obj, dict) else None
        self.error = "agent answered HTTP %d: %s" % (status, why or data[:80])
        if isinstance(obj, dict) and obj.get("retry_after") is not None:
            self.error += " (retry after %s s)" % obj["retry_after"]
        return None

    def _commands(self, reply):
        """-> the commands in a poll's answer; () after a failure, which backs off."""
        answer = self._answer(reply)
        cmds = answer.get("commands", ()) if answer is not None else ()
        if answer is None or not _well_formed(cmds):
            if answer is not None:
                self.error = "agent sent a malformed command list: %s" % repr(answer)[:80]
            self._fail()
            return ()
        self.failures = 0
        self._delay = BACKOFF_MIN_MS
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
