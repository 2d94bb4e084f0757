"""A small MQTT 3.1.1 client: QoS 0 and 1, keepalive, a Last Will, clean sessions —
what the link needs and no more (a current umqtt.simple is not on any registry we can
install from; ours also runs under asyncio).

Like utwilio.link, the protocol steps are generators of I/O operations:
("open",), ("write", bytes), ("read", n, timeout_ms, may_time_out), ("close",);
`Conn.io` runs one blocking, utwilio.amqtt.io under asyncio."""

import select
import socket
import time

from utwilio.errors import TransportError

SLICE_MS = 500

def _str(value):
    b = value.encode() if isinstance(value, str) else value
    return bytes((len(b) >> 8, len(b) & 255)) + b


def _packet(kind, body):
    n = len(body)
    head = bytearray((kind,))
    while True:
        byte = n & 0x7F
        n >>= 7
        head.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(head) + body


class Client:
    """`on_message(topic bytes, payload bytes)` runs for each PUBLISH received; QoS 1
    messages are acknowledged after it returns."""

    def __init__(self, client_id, user, password, keepalive, will_topic, will, timeout_ms,
                 on_message):
        self.connect_body = (b"\x00\x04MQTT\x04" + bytes((0xEE, keepalive >> 8, keepalive & 255))
                             + _str(client_id) + _str(will_topic) + _str(will) + _str(user)
                             + _str(password))  # 0xEE: user, password, will retained QoS 1, clean
        self.keepalive_ms = keepalive * 1000
        self.timeout_ms = timeout_ms
        self.on_message = on_message
        self.connected = False
        self._pid = 0
        self._sent_at = 0
        self._ping_at = None

    def connect(self):
        self.connected = False
        self._ping_at = None
        yield ("open",)
        yield from self._write(_packet(0x10, self.connect_body))
        got = yield from self._read(self.timeout_ms)
        if got is None or got[0] != 0x20 or len(got[1]) != 2:
            raise TransportError(8, "the broker did not accept the MQTT connection")
        if got[1][1]:
            from utwilio.mqttfail import refused

            raise refused(got[1][1])
        self.connected = True

    def subscribe(self, topics):
        """QoS 1 subscriptions, in one packet."""
        pid = self._next()
        body = pid
        for topic in topics:
            body += _str(topic) + b"\x01"
        yield from self._write(_packet(0x82, body))
        granted = yield from self._expect(0x90, pid)
        if b"\x80" in granted[2:]:
            raise TransportError(67, "the broker refused a subscription to %s" % (topics,))

    def publish(self, topic, payload, qos=1, retain=False):
        """With QoS 1, returns once the broker has acknowledged it."""
        pid = self._next() if qos else b""
        yield from self._write(_packet(0x30 | qos << 1 | retain, _str(topic) + pid + payload))
        if qos:
            yield from self._expect(0x40, pid)

    def wait(self, ms, done):
        """Handles what arrives (and keeps the connection alive) until done() or `ms`
        have passed; done() is asked at least every SLICE_MS."""
        deadline = time.ticks_add(time.ticks_ms(), ms)
        while not done():
            left = time.ticks_diff(deadline, time.ticks_ms())
            if left <= 0:
                return
            yield from self._step(min(left, SLICE_MS))

    def _next(self):
        self._pid = self._pid % 65535 + 1
        return bytes((self._pid >> 8, self._pid & 255))

    def _expect(self, kind, pid):
        deadline = time.ticks_add(time.ticks_ms(), self.timeout_ms)
        while True:
            left = time.ticks_diff(deadline, time.ticks_ms())
            if left <= 0:
                raise TransportError(28, "the broker did not acknowledge within %d s"
                                     % (self.timeout_ms // 1000))
            got = yield from self._step(left)
            if got is not None and got[0] == kind and got[1][:2] == pid:
                return got[1]

    def _step(self, ms):
        """Reads one packet, waiting up to `ms` for it to start (a keepalive ping goes
        out first when due) -> (type byte, body) or None."""
        now = time.ticks_ms()
        if self._ping_at is not None:
            if time.ticks_diff(now, self._ping_at) >= self.timeout_ms:
                raise TransportError(28, "the broker stopped answering pings")
            ms = min(ms, self.timeout_ms)
        else:
            due = self.keepalive_ms // 2 - time.ticks_diff(now, self._sent_at)
            if due <= 0:
                yield from self._write(b"\xc0\x00")
                self._ping_at = now
                due = self.timeout_ms
            ms = min(ms, due)
        got = yield from self._read(max(ms, 1))
        if got is None:
            return None
        kind, body = got
        if kind & 0xF0 == 0x30:
            n = (body[0] << 8 | body[1]) + 2
            start = n + 2 if kind & 6 else n
            self.on_message(body[2:n], body[start:])
            if kind & 6:
                yield from self._write(b"\x40\x02" + body[n:start])
        elif kind == 0xD0:
            self._ping_at = None
        return got

    def _write(self, data):
        self._sent_at = time.ticks_ms()
        yield ("write", data)

    def _read(self, ms):
        first = yield ("read", 1, ms, True)
        if first is None:
            return None
        n = shift = 0
        while True:
            byte = (yield ("read", 1, self.timeout_ms, False))[0]
            n |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        body = (yield ("read", n, self.timeout_ms, False)) if n else b""
        return first[0], body


class Conn:
    """The socket under a Client: `tls` is (cadata, verify) as utwilio.ca takes them, or
    None (plain TCP); the TLS context is made on the first connect."""

    def __init__(self, host, port, tls, timeout_ms):
        self.host = host
        self.port = port
        self.tls = tls
        self._context = None
        self.timeout = timeout_ms / 1000
        self.where = "%s:%d" % (host, port)
        self._sock = self._raw = None
        self._reader = self._writer = None
        self.opened = 0  # connections opened so far (each a TLS handshake with mqtts)
        self._poller = None

    def io(self, op):
        kind = op[0]
        phase = "receive" if kind == "read" else "send"
        try:
            if kind == "read":
                return self._read(op[1], op[2], op[3])
            if kind == "write":
                # CPython's SSLSocket.write may be short; MicroPython's has no sendall.
                sock = self._sock
                send = getattr(sock, "sendall", None) or sock.write  # pyright: ignore
                send(op[1])
            elif kind == "open":
                self.close()
                self.opened += 1
                phase = "connect"
                addr = socket.getaddrinfo(self.host, self.port, 0, socket.SOCK_STREAM)[0]
                raw = self._raw = socket.socket(addr[0], socket.SOCK_STREAM)
                raw.settimeout(self.timeout)  # for every read and write: waits use poll()
                raw.connect(addr[-1])
                self._sock = raw
                if self.tls is not None:
                    phase = "tls"
                    self._sock = self.context().wrap_socket(raw, server_hostname=self.host)
            else:
                self.close()
        except Exception as e:
            self.close()
            from utwilio.mqttfail import fail

            raise fail(phase, e, self.where)

    def context(self):
        if self._context is None:
            from utwilio import ca

            self._context = ca.context(*self.tls)
        return self._context

    def _read(self, n, ms, may_time_out):
        """Waits up to `ms` for the first byte with poll(), never with a socket timeout:
        MicroPython's TLS socket cannot write after a read has timed out."""
        sock = self._sock
        pending = getattr(sock, "pending", None)  # CPython: TLS bytes already decrypted
        if may_time_out and not (pending and pending()):
            if self._poller is None:
                self._poller = select.poll()
                self._poller.register(sock, select.POLLIN)
            if not self._poller.poll(ms):
                return None
        recv = getattr(sock, "recv", None) or sock.read  # pyright: ignore
        data = b""
        while len(data) < n:
            got = recv(n - len(data))
            if not got:
                raise OSError("connection closed by the broker")
            data += got
        return data

    def close(self):
        """Closes whatever is open, at once (also from a cancelled task)."""
        for s in (self._sock, self._raw):  # a failed handshake leaves the raw socket open
            if s is not None:
                s.close()
        self._sock = self._raw = self._poller = None
        w, self._reader, self._writer = self._writer, None, None
        if w is not None:
            sock = getattr(w, "s", None)  # MicroPython's Stream.close() closes nothing
            (sock or w).close()
