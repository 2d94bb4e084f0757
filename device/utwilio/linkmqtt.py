"""The link over MQTT (agent/PROTOCOL.md, "MQTT"): the device's own topics under
utw/v1/<device id>/, QoS 1, a clean session. The agent publishes the device's pending
head on `cmd` (the body of an HTTP poll's answer); the device acks on `ack`, sends
events and alerts on `event` / `alert` and gets their answers on `answer`; `presence`
carries its hello and, as the Last Will, its disappearance.

Each exchange reconnects first if the connection was lost (the link's backoff spaces
the attempts), subscribing and saying hello again."""

import json

from utwilio import mqtt

KEEPALIVE = 60  # s; the client pings after half of it without sending
OFFLINE = b'{"online": false}'
ONLINE = b'{"online": true}'
NO_COMMANDS = b'{"commands": []}'
ACKED = {"ok": True}


def _address(url):
    """mqtt://host[:1883] or mqtts://host[:8883] -> (secure, host, port)."""
    secure = url.startswith("mqtts://")
    rest = url[8 if secure else 7:].split("/", 1)[0]
    host, _, port = rest.rpartition(":") if rest.count(":") == 1 else (rest, "", "")
    if not host or (port and not port.isdigit()):
        raise ValueError("agent_url must look like mqtts://broker.example.com:8883, got %r"
                         % url)
    return secure, host, int(port) if port else (8883 if secure else 1883)


class Channel:
    shared = True  # one connection: the link runs one exchange at a time on it

    def __init__(self, url, device_id, token, cadata, verify, timeout):
        secure, host, port = _address(url)
        self.timeout_ms = timeout * 1000
        self.conn = mqtt.Conn(host, port, (cadata, verify) if secure else None, self.timeout_ms)
        self.topic = "utw/v1/" + device_id + "/"
        self.client = mqtt.Client(device_id, device_id, token, KEEPALIVE, self.topic + "presence",
                                  OFFLINE, self.timeout_ms, self._message)
        self._cmds = None
        self._ref = 0
        self._answer = None

    def poll(self, wait, wanted):
        """Waits for the agent's next head; ends early when `wanted()` (a send waits)."""
        try:
            yield from self._connected()
            yield from self.client.wait(wait * 1000, lambda: self._cmds is not None or wanted())
        except Exception as e:
            return self._lost(e)
        cmds, self._cmds = self._cmds, None
        return 200, cmds or NO_COMMANDS

    def ack(self, command_id, reply):
        body = json.dumps({"id": command_id, "reply": reply}).encode()
        try:
            yield from self._connected()
            yield from self.client.publish(self.topic + "ack", body)
        except Exception as e:
            return self._lost(e)
        return 200, ACKED

    def post(self, kind, body):
        """An event or alert; its answer comes on `answer` with the same `ref`."""
        self._ref += 1
        body["ref"] = self._ref
        self._answer = None
        try:
            yield from self._connected()
            yield from self.client.publish(self.topic + kind[:-1], json.dumps(body).encode())
            yield from self.client.wait(self.timeout_ms, self._answered)
        except Exception as e:
            return self._lost(e)
        answer = self._answer
        if answer is None:
            return 28, "no answer from the agent over MQTT within %d s" % (self.timeout_ms // 1000)
        return answer.get("status", 502), answer.get("body")

    def io(self, op):
        return self.conn.io(op)

    async def aio(self, op):
        from utwilio.amqtt import io

        return await io(self.conn, op)

    def close(self):
        """Drops the connection without DISCONNECT: the broker publishes the Last Will."""
        self.client.connected = False
        self.conn.close()

    def _connected(self):
        if self.client.connected:
            return
        yield from self.client.connect()
        yield from self.client.subscribe((self.topic + "cmd", self.topic + "answer"))
        yield from self.client.publish(self.topic + "presence", ONLINE, 1, True)

    def _lost(self, e):
        self.close()
        if isinstance(e, mqtt.TransportError):
            return e.code, e.message
        return 56, "%s: %s" % (type(e).__name__, e)

    def _message(self, topic, payload):
        if topic.endswith(b"/cmd"):
            self._cmds = payload  # the newest head replaces an unhandled older one
        elif topic.endswith(b"/answer"):
            try:
                answer = json.loads(payload)
            except ValueError:
                return
            if isinstance(answer, dict) and answer.get("ref") == self._ref:
                self._answer = answer

    def _answered(self):
        return self._answer is not None
