"""The device link over an MQTT broker (PROTOCOL.md, "MQTT"), beside the HTTP one.

The broker routes, the store decides: the bridge publishes a device's pending head
(the body of an HTTP poll's answer) on utw/v1/<id>/cmd when the device says hello,
when a command for it is accepted, after each of its acks, and every `resend` seconds
while commands stay unacknowledged. Acks, events and alerts come through shared
subscriptions ($share/utwilio/…), so several agents split them; each is handled as
the HTTP link handles it (Agent.ack, event, alert). Presence: every agent follows the
retained hello / Last Will on utw/v1/<id>/presence, so it knows which devices are on
MQTT (a device on HTTP is never published to: its statuses stay for its polls).

aiomqtt (over paho-mqtt, both pinned): the agent is asyncio throughout, and aiomqtt
is paho's well-kept asyncio face, where paho alone would call back from its thread."""

import asyncio
import contextlib
import json
import ssl

import aiomqtt

from . import logs
from .broker import address
from .config import DEVICE_ID
from .delivery import POLL_LIMIT
from .errors import AgentError, BadRequest
from .link import KEY_MAX, MESSAGE_MAX, NAME_MAX

SHARE = "$share/utwilio/"
RETRY_MAX = 30.0


def _json(obj):
    """UTF-8, not \\u escapes: MicroPython's json does not join a surrogate pair."""
    return json.dumps(obj, ensure_ascii=False).encode()


def topic(device_id, kind):
    return "utw/v1/%s/%s" % (device_id, kind)


class Bridge:
    def __init__(self, agent):
        self.agent = agent
        self.config = agent.config
        self.online = set()  # devices whose retained presence says they are connected
        self._unacked = set()  # devices with commands published and not yet acked
        self._client = None
        self._task = None
        self.connected = asyncio.Event()

    async def start(self):
        self.agent.wakers.append(self._woken)
        self._task = asyncio.create_task(self._run(), name="mqtt")

    async def stop(self):
        with contextlib.suppress(ValueError):
            self.agent.wakers.remove(self._woken)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _client_args(self):
        config = self.config
        secure, host, port = address(config.mqtt_url)
        tls = None
        if secure:
            tls = ssl.create_default_context(cafile=config.mqtt_ca or None)
        return dict(hostname=host, port=port, username=config.mqtt_username or None,
                    password=config.mqtt_password or None, identifier=config.mqtt_username,
                    clean_session=True, tls_context=tls, keepalive=60)

    async def _run(self):
        delay = 1.0
        while True:
            try:
                async with aiomqtt.Client(**self._client_args()) as client:
                    self._client = client
                    await client.subscribe([(topic("+", "presence"), 1)]
                                           + [(SHARE + topic("+", kind), 1)
                                              for kind in ("ack", "event", "alert")])
                    logs.event("mqtt.connected", url=self.config.mqtt_url)
                    self.connected.set()
                    delay = 1.0
                    resend = asyncio.create_task(self._resend())
                    try:
                        async for message in client.messages:
                            await self._handle(str(message.topic), message.payload)
                    finally:
                        resend.cancel()
            except aiomqtt.MqttError as error:
                logs.warning("mqtt.disconnected", error=str(error), retry_in=delay)
            finally:
                self._client = None
                self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)

    async def _resend(self):
        while True:
            await asyncio.sleep(self.config.mqtt_resend)
            for device in list(self._unacked & self.online):
                await self._guard(self.publish_head(device))

    def _woken(self, device_id):
        """A command or status for the device: publish its head if it is on MQTT."""
        if device_id in self.online and self._client is not None:
            asyncio.get_running_loop().create_task(self._guard(self.publish_head(device_id)))

    async def _guard(self, work):
        try:
            await work
        except aiomqtt.MqttError as error:
            logs.warning("mqtt.publish_failed", error=str(error))
        except Exception:
            logs.LOGGER.exception("mqtt.failed")

    async def publish_head(self, device_id):
        """The device's oldest pending commands (and statuses) on its cmd topic."""
        client = self._client
        if client is None:
            return
        commands, statuses = await self.agent.store.pending(
            device_id, self.agent.clock(), POLL_LIMIT)
        if commands:
            self._unacked.add(device_id)
            logs.event("commands.delivered", device=device_id, via="mqtt",
                       commands=[c.id for c in commands])
        else:
            self._unacked.discard(device_id)
        if commands or statuses:
            body = {"commands": [c.for_link() for c in commands]}
            if statuses:
                body["statuses"] = statuses
            await client.publish(topic(device_id, "cmd"), _json(body), qos=1)

    async def _answer(self, device_id, ref, status, body):
        if self._client is not None:
            await self._client.publish(topic(device_id, "answer"), _json(
                {"ref": ref, "status": status, "body": body}), qos=1)

    # -- from the devices ------------------------------------------------------------

    async def _handle(self, name, payload):
        parts = name.split("/")
        if len(parts) != 4 or not DEVICE_ID.match(parts[2]):
            return
        device_id, kind = parts[2], parts[3]
        if kind not in ("presence", "ack", "event", "alert"):
            return
        try:
            data = json.loads(payload)
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            logs.warning("mqtt.bad_message", device=device_id, topic=kind)
            return
        if kind != "presence":
            self.agent.presence.touch(device_id, self.agent.clock())
        await self._guard(getattr(self, "_on_" + kind)(device_id, data))

    async def _on_presence(self, device_id, data):
        now = self.agent.clock()
        if data.get("online") is True:
            if device_id not in self.online:
                self.online.add(device_id)
                self.agent.presence.enter(device_id)
            self.agent.presence.touch(device_id, now)
            await self.publish_head(device_id)
        elif device_id in self.online:
            self.online.discard(device_id)
            self.agent.presence.leave(device_id, now)

    async def _on_ack(self, device_id, data):
        command_id, reply = data.get("id"), data.get("reply")
        if not isinstance(command_id, str) or not (reply is None or isinstance(reply, str)):
            logs.warning("mqtt.bad_ack", device=device_id)
            return
        try:
            await self.agent.ack(device_id, command_id, reply)
        except AgentError as error:  # an ack has no answer topic: the refusal is logged
            logs.warning("mqtt.ack_refused", device=device_id, command=command_id[:64],
                         status=error.status, error=error.message)
        await self.publish_head(device_id)

    async def _on_event(self, device_id, data):
        await self._answered(device_id, data.get("ref"), self._event(device_id, data))

    async def _on_alert(self, device_id, data):
        await self._answered(device_id, data.get("ref"), self._alert(device_id, data))

    async def _answered(self, device_id, ref, work):
        """An event's or alert's answer: 202 and its body, or the refusal's own status
        and answer() — what the HTTP layer (app.py) makes of the same AgentError."""
        try:
            status, body = 202, await work
        except AgentError as error:
            status, body = error.status, error.answer()
        await self._answer(device_id, ref, status, body)

    async def _event(self, device_id, data):
        name = data.get("name")
        if not isinstance(name, str) or not 0 < len(name.strip()) <= NAME_MAX:
            raise BadRequest("name must be a non-empty string of at most %d characters"
                             % NAME_MAX)
        return {"id": await self.agent.event(device_id, name, data.get("data"))}

    async def _alert(self, device_id, data):
        message, key = data.get("message"), data.get("key")
        if not isinstance(message, str) or not 0 < len(message.strip()) <= MESSAGE_MAX or not (
                key is None or isinstance(key, str) and 0 < len(key) <= KEY_MAX):
            raise BadRequest("message must be 1-%d characters, key at most %d"
                             % (MESSAGE_MAX, KEY_MAX))
        return await self.agent.alert(device_id, message, key)
