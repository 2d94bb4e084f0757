"""A scripted HTTP(S) server on loopback for transport tests: it records every raw
request and answers each with the next behaviour in its script (then `default`).

With `keep_alive=True` a connection carries requests until a behaviour ends it: "ok"
keeps it open, "ok-close" answers with `Connection: close`, "ok-then-close" answers and
closes without saying so (an idle timeout), anything else answers and closes. Each
recorded request has `conn`, the number of the connection it came on."""

import json
import socket
import ssl
import threading
import time
from urllib.parse import parse_qsl

from rawhttp import read_message, reset

MESSAGE = {
    "sid": "SM" + "a" * 32, "status": "queued", "body": "", "to": "", "from": "",
    "account_sid": "AC" + "0" * 32, "error_code": None, "error_message": None,
}
ERROR = {"code": 21211, "message": "The 'To' number is not a valid phone number.",
         "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}


def _response(status, reason, body, extra=b""):
    return (b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            b"%s\r\n" % (status, reason, len(body), extra)) + body


def _ok(req):
    body = json.dumps(dict(MESSAGE, body=req.get("form_body", ""))).encode()
    return _response(201, b"CREATED", body)


BEHAVIOURS = {
    "ok": _ok,
    "error": lambda req: _response(400, b"BAD REQUEST", json.dumps(ERROR).encode()),
    "401": lambda req: _response(401, b"UNAUTHORIZED", b'{"code": 20003, "message": '
                                 b'"Authenticate", "more_info": "https://www.twilio.com/docs/'
                                 b'errors/20003", "status": 401}'),
    "500": lambda req: _response(500, b"INTERNAL SERVER ERROR", b'{"code": 20500, "message": '
                                 b'"Internal Server Error", "more_info": "", "status": 500}'),
    "garbage": lambda req: b"\x00\xffnot http at all\r\n\r\n",
    "empty": lambda req: b"",
    "tls alert": lambda req: b"\x15\x03\x01\x00\x02\x02\x46",  # plain HTTP to a TLS port
    "chunked": lambda req: (b"HTTP/1.1 201 CREATED\r\nTransfer-Encoding: chunked\r\n"
                            b"Content-Type: application/json\r\n\r\n"
                            + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in _chunks())
                            + b"0\r\n\r\n"),
    "short": lambda req: b"HTTP/1.1 201 CREATED\r\nContent-Length: 500\r\n\r\n{\"sid\":",
    "big": lambda req: _response(201, b"CREATED", json.dumps(dict(MESSAGE, body="x" * 16000))
                                 .encode()),
    "huge": lambda req: b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n",
}


def _chunks():
    data = json.dumps(MESSAGE).encode()
    return [data[i:i + 7] for i in range(0, len(data), 7)]


class ScriptedServer:
    def __init__(self, ssl_context=None, default="ok", keep_alive=False):
        self.ssl_context = ssl_context
        self.keep_alive = keep_alive
        self.connections = 0
        self.default = default
        self.script = []
        self.requests = []
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, host="127.0.0.1"):
        return "%s://%s:%d" % ("https" if self.ssl_context else "http", host, self.port)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop = True
        socket.create_connection(("127.0.0.1", self.port)).close()
        self._thread.join(5)
        self._sock.close()

    def _next(self):
        with self._lock:
            return self.script.pop(0) if self.script else self.default

    def _serve(self):
        while True:
            conn, _ = self._sock.accept()
            if self._stop:
                conn.close()
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        try:
            conn.settimeout(10)
            if self.ssl_context:
                try:
                    conn = self.ssl_context.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    return  # the client refused our certificate: that is the point
            with self._lock:
                self.connections += 1
                number = self.connections
            while True:
                req = self._read_request(conn)
                if req is None:
                    return
                req["conn"] = number
                with self._lock:
                    self.requests.append(req)
                behaviour = self._next()
                if behaviour == "reset":
                    return reset(conn)
                if behaviour == "hang":
                    time.sleep(3)
                    return
                if behaviour == "ok-close":
                    conn.sendall(_ok(req).replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
                    return
                conn.sendall(BEHAVIOURS[behaviour.replace("-then-close", "")](req))
                if not (self.keep_alive and behaviour == "ok"):
                    return
        except OSError:
            pass
        finally:
            conn.close()

    @staticmethod
    def _read_request(conn):
        data = read_message(conn)
        if data is None:
            return None
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {"method": method, "path": path, "headers": headers, "body": body,
                "form": form, "form_body": dict(form).get("Body", "")}
