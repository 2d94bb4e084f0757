"""A TCP proxy on loopback between a device and a real server, that can cut the
network: each connection takes the next action from `script` (then "pass"):
- "pass": forward both ways;
- "cut": forward the request, let the server answer, then reset the device's
  connection before it sees the answer (the request reached Twilio; the device can't know);
- "down": reset the connection before reading anything (no network);
- "slow": forward the request, let the server answer, and hold the answer 2 s before
  passing it on (a client with a shorter timeout gives up after the server acted)."""

import socket
import threading
import time

from rawhttp import read_message, reset


class CutProxy:
    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.script = []
        self.actions = []
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop = True
        socket.create_connection(("127.0.0.1", self.port)).close()
        self._thread.join(5)
        self._sock.close()

    def _serve(self):
        while True:
            conn, _ = self._sock.accept()
            if self._stop:
                conn.close()
                return
            action = self.script.pop(0) if self.script else "pass"
            self.actions.append(action)
            threading.Thread(target=self._handle, args=(conn, action), daemon=True).start()

    def _handle(self, conn, action):
        if action == "down":
            return reset(conn)
        up = socket.create_connection(("127.0.0.1", self.upstream_port))
        try:
            conn.settimeout(10)
            up.settimeout(10)
            request = read_message(conn)
            if request is None:
                return conn.close()
            up.sendall(request)
            answer = read_message(up)
            if action == "slow":
                time.sleep(2)
            if action == "cut" or answer is None:
                return reset(conn)
            conn.sendall(answer)
            conn.close()
        finally:
            up.close()
