"""A minimal fake agent speaking agent/PROTOCOL.md on loopback, in threads: the device
link's tests run against it over real sockets. Faults on demand: `down()` closes the
listener and cuts open connections (connections refused, like an agent restart),
`reset()` resets every connection, `up()` serves again on the same port. A second,
always-up control listener lets a device script flip these itself:
POST /control/down | reset | up | state, and POST /control/add {name, args}."""

import json
import socket
import struct
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from rawhttp import read_message

PREFIX = "/link/v1/devices/"
MAX_BATCH = 10
SENDER = "+15551234567"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, handler, agent):
        self.agent = agent
        super().__init__(("127.0.0.1", port), handler)

    def handle_error(self, request, client_address):
        pass  # a cut or refused connection is what the fault tests are for


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def setup(self):
        agent = self.server.agent  # pyright: ignore[reportAttributeAccessIssue]
        if agent.ssl_context is not None:
            self.request.settimeout(10)
            self.request = agent.ssl_context.wrap_socket(self.request, server_side=True)
        super().setup()
        with agent.lock:
            agent.connections.add(self.connection)

    def finish(self):
        agent = self.server.agent  # pyright: ignore[reportAttributeAccessIssue]
        with agent.lock:
            agent.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def do_GET(self):
        self.server.agent.serve(self)  # pyright: ignore[reportAttributeAccessIssue]

    do_POST = do_GET

    def answer(self, status, obj):
        body = json.dumps(obj, ensure_ascii=False).encode()
        keep = self.server.agent.keep_alive  # pyright: ignore[reportAttributeAccessIssue]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if not keep:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = not keep

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n)) if n else None

    def reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


class _Control(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_POST(self):
        agent = self.server.agent  # pyright: ignore[reportAttributeAccessIssue]
        what = self.path.rsplit("/", 1)[-1]
        n = int(self.headers.get("Content-Length") or 0)
        arg = json.loads(self.rfile.read(n)) if n else {}
        if what == "add":
            result = agent.add(arg["name"], arg.get("args", ""))
        else:
            result = getattr(agent, what)()
        body = json.dumps({"ok": result}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True


class FakeAgent:
    """`add(name, args)` queues a command; `acks`, `events`, `alerts`, `polls` (the
    wait of each) record what the device sent, `resets` the connections reset;
    `alert_answers` scripts the next answers to POST /alerts."""

    def __init__(self, devices=None, ssl_context=None, keep_alive=False):
        self.devices = devices or {"dev-1": "token-1"}
        self.ssl_context = ssl_context
        self.keep_alive = keep_alive  # answers keep the connection (HTTP/1.1) if True
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.connections = set()
        self.pending = []
        self.acks = []
        self.events = []
        self.alerts = []
        self.polls = []
        self.resets = 0
        self.alert_answers = []
        self.mode = "up"
        self._server = None
        self._control = _Server(0, _Control, self)
        self.port = 0

    def url(self, host="127.0.0.1"):
        return "%s://%s:%d" % ("https" if self.ssl_context else "http", host, self.port)

    def control_url(self):
        return "http://127.0.0.1:%d/control" % self._control.server_address[1]

    def __enter__(self):
        threading.Thread(target=self._control.serve_forever, args=(0.01,), daemon=True).start()
        self.up()
        return self

    def __exit__(self, *exc):
        self.down()
        self._control.shutdown()
        self._control.server_close()

    # -- faults -------------------------------------------------------------------

    def up(self):
        with self.lock:
            self.mode = "up"
            if self._server is not None:
                return
            self._server = _Server(self.port, _Handler, self)
            self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True).start()

    def reset(self):
        """Every connection is reset from now on; open ones (long-polls) are cut."""
        self.up()
        with self.lock:
            self.mode = "reset"
            self._cut()

    def down(self):
        """Connections refused from now on; open ones (long-polls) are cut."""
        with self.lock:
            server, self._server = self._server, None
            self.mode = "down"
            self._cut()
        if server is not None:
            server.shutdown()
            server.server_close()

    def _cut(self):
        for conn in list(self.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.changed.notify_all()

    # -- commands -------------------------------------------------------------------

    def add(self, name, args="", deliveries=1, fail_acks=0, sender=SENDER):
        """Queues a command. `deliveries=2`: the first ack is answered 200 but the
        command is delivered again (a redelivery). `fail_acks=n`: the first n acks are
        recorded and their connections reset (an ack lost on the way back)."""
        cmd = {"id": "CM" + uuid.uuid4().hex, "name": name, "args": args,
               "text": (name + " " + args).strip(), "from": sender, "created": 0,
               "expires": 2**31 - 1}
        with self.lock:
            self.pending.append({"cmd": cmd, "deliveries": deliveries, "fail_acks": fail_acks})
            self.changed.notify_all()
        return cmd["id"]

    def state(self):
        with self.lock:
            return {"polls": len(self.polls), "acks": len(self.acks), "mode": self.mode}

    def replies(self):
        """{command id: [reply of each ack received]}"""
        out = {}
        for cid, reply in self.acks:
            out.setdefault(cid, []).append(reply)
        return out

    def wait_for(self, predicate, timeout=60):
        """Blocks until predicate() holds (checked whenever the device sends something)."""
        with self.lock:
            return self.changed.wait_for(predicate, timeout)

    # -- the protocol -------------------------------------------------------------------

    def serve(self, h):
        if self.mode != "up":
            with self.lock:
                self.resets += 1
                self.changed.notify_all()
            return h.reset()
        parts = urlsplit(h.path)
        if not parts.path.startswith(PREFIX):
            return h.answer(404, {"error": "no such endpoint %s" % parts.path})
        device, _, rest = parts.path[len(PREFIX):].partition("/")
        auth = h.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        if token not in self.devices.values():
            return h.answer(401, {"error": "unknown device token"})
        if self.devices.get(device) != token:
            return h.answer(403, {"error": "this token belongs to another device"})
        route = (h.command, rest)
        if route == ("GET", "commands"):
            wait = int(parse_qs(parts.query).get("wait", ["25"])[0])
            return h.answer(200, {"commands": self._poll(wait)})
        body = h.body()
        if h.command == "POST" and rest.startswith("commands/") and rest.endswith("/ack"):
            return self._ack(h, rest[9:-4], body)
        if route == ("POST", "events"):
            with self.lock:
                self.events.append(body)
                self.changed.notify_all()
            return h.answer(202, {"id": "EV" + uuid.uuid4().hex})
        if route == ("POST", "alerts"):
            with self.lock:
                self.alerts.append(body)
                answer = self.alert_answers.pop(0) if self.alert_answers else None
                self.changed.notify_all()
            if answer is None:
                return h.answer(202, {"sent": ["SM" + uuid.uuid4().hex]})
            return h.answer(*answer)
        return h.answer(404, {"error": "no such endpoint %s %s" % route})

    def _poll(self, wait):
        with self.lock:
            self.polls.append(wait)
            self.changed.notify_all()
            self.changed.wait_for(lambda: self.pending or self.mode != "up", wait)
            return [p["cmd"] for p in self.pending[:MAX_BATCH]]

    def _ack(self, h, cid, body):
        with self.lock:
            self.acks.append((cid, body["reply"]))
            self.changed.notify_all()
            entry = next((p for p in self.pending if p["cmd"]["id"] == cid), None)
            if entry is None:
                known = any(a[0] == cid for a in self.acks[:-1])
                return h.answer(200 if known else 404, {"ok": True} if known else
                                {"error": "no command %s" % cid})
            if entry["fail_acks"]:
                entry["fail_acks"] -= 1
                return h.reset()
            entry["deliveries"] -= 1
            if entry["deliveries"] <= 0:
                self.pending.remove(entry)
        return h.answer(200, {"ok": True})


class LossyProxy:
    """A loopback TCP proxy in front of an agent that loses the first `lose` requests
    whose request line contains `match` (closes them unforwarded), so the real agent
    sees a lost ack and delivers the command again. One request per connection: it
    asks the agent to close after each answer (Connection: close), so a device that
    keeps connections alive opens a new one for the next request."""

    def __init__(self, target_port, match=b"/ack ", lose=1):
        self.target_port = target_port
        self.match = match
        self.lose = lose
        self.lost = []
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._stop = False

    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def __enter__(self):
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._stop = True
        socket.create_connection(("127.0.0.1", self.port)).close()
        self._sock.close()

    def _serve(self):
        while True:
            conn, _ = self._sock.accept()
            if self._stop:
                conn.close()
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn):
        with conn:
            conn.settimeout(90)
            request = read_message(conn)
            if request is None:
                return
            line = request.split(b"\r\n", 1)[0]
            if self.match in line and self.lose > 0:
                self.lose -= 1
                self.lost.append(line.decode())
                return
            head, _, rest = request.partition(b"\r\n")
            request = head + b"\r\nConnection: close\r\n" + rest
            with socket.create_connection(("127.0.0.1", self.target_port), timeout=90) as up:
                up.sendall(request)
                while True:
                    data = up.recv(65536)
                    if not data:
                        return
                    conn.sendall(data)
