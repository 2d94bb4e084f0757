"""Blocking HTTP/1.1 over a socket, with verified TLS by default.

Our own because MicroPython's frozen `requests` never verifies certificates, counts
Content-Length in characters and leaks the socket on errors (DESIGN.md)."""

import socket

from utwilio import wire

MAX_RESPONSE = 32768


def for_url(url, cadata=None, verify=True, timeout=15, keep_alive=False):
    """The transport for a server at `url` (checked now). Certificates are read on the
    first HTTPS request (utwilio.ca), so a program that needs no TLS never loads them."""
    wire.split_url(url)
    return Transport(cadata=cadata, verify=verify, timeout=timeout, keep_alive=keep_alive)


def _shut(conn):
    # A failed TLS handshake leaves the raw socket open on MicroPython: close all three.
    for part in reversed(conn):
        try:
            part.close()
        except OSError:
            pass  # CPython's file object flushes what a broken connection refused


def _stale(sock):
    """Has a kept connection heard from the server since its last answer? Then the
    server is closing it (FIN, TLS close_notify) or talking out of turn: do not reuse."""
    import select

    p = select.poll()
    p.register(sock, select.POLLIN)
    return bool(p.poll(0))


class _Again(Exception):
    """A reused connection broke before the answer began: send on a fresh one."""


# Methods a server may receive twice with the same effect: repeated on a fresh
# connection when a reused one broke before any byte of the answer came.
IDEMPOTENT = ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")


class Transport:
    """`cadata`: the certificates to trust (see utwilio.ca: None is the bundled Twilio
    roots plus ca.der). `verify=False` skips certificate checks (a warning is printed).

    `keep_alive=True`: the connection stays open after an answer (HTTP/1.1, unless the
    server says `Connection: close`) and carries the next request to the same host;
    `close()` (or leaving a `with` block) closes it, and so does any error. A kept
    connection the server has closed meanwhile is replaced before the request; when a
    reused connection breaks before any byte of the answer, the request goes again on
    a fresh one only if it cannot have reached the server (the write failed) or
    repeating it is harmless (GET, DELETE…): a POST that went out whole is never
    repeated, its TransportError has `sent=True`."""

    def __init__(self, cadata=None, verify=True, timeout=15, max_response=MAX_RESPONSE,
                 keep_alive=False):
        self.cadata = cadata
        self.verify = verify
        self.timeout = timeout
        self.max_response = max_response
        self.keep_alive = keep_alive
        self.opened = 0  # connections opened so far (each a TLS handshake over HTTPS)
        self._ctx = None
        self._conn = None  # [raw, sock, stream] kept for the next request
        self._key = None  # the host it is open to
        self._fields_of = None
        self._fields = ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Closes the kept connection, if any (the transport stays usable)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            _shut(conn)

    def context(self):
        """The TLS client context, made on the first HTTPS request (see utwilio.ca)."""
        if self._ctx is None:
            from utwilio.ca import context

            self._ctx = context(self.cadata, self.verify)
        return self._ctx

    def request(self, method, url, headers, body=None):
        """-> (status, headers, body bytes); raises TransportError. `headers` is a
        dict; its block is built once and reused while the same dict object comes again
        (to change headers, pass a new dict: a change in place is not seen). Only the
        response headers in wire.KEEP are returned."""
        secure, host, port, path = wire.split_url(url)
        where = "%s:%d" % (host, port)
        if headers is not self._fields_of:
            self._fields, self._fields_of = wire.fields(headers), headers
        head = wire.head(method, host, port, secure, path, self._fields,
                         None if body is None else len(body), self.keep_alive)
        key = where if secure else "http:" + where
        conn, self._conn = self._conn, None
        if conn is not None and (self._key != key or _stale(conn[1])):
            _shut(conn)
            conn = None
        if conn is not None:
            try:
                return self._exchange(conn, head, body, where, method)
            except _Again:
                pass
        self._key = key
        return self._exchange(self._open(host, port, secure, where), head, body, where)

    async def request_async(self, method, url, headers, body=None):
        from utwilio.ahttp import request

        return await request(self, method, url, headers, body)

    def _open(self, host, port, secure, where):
        if secure:
            self.context()  # a bad cadata raises here, before any network
        try:
            addr = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0]
        except Exception as e:
            raise wire.fail("resolve", e, host)
        raw = socket.socket(addr[0], socket.SOCK_STREAM)
        conn = [raw, raw, raw]
        phase = "connect"
        try:
            raw.settimeout(self.timeout)
            raw.connect(addr[-1])
            if secure:
                phase = "tls"
                conn[1] = conn[2] = self.context().wrap_socket(raw, server_hostname=host)
            if not hasattr(conn[1], "readline"):
                # MicroPython sockets are streams; CPython's need a file object.
                conn[2] = conn[1].makefile("rwb")
        except Exception as e:
            _shut(conn)
            raise wire.fail(phase, e, where)
        self.opened += 1
        return conn

    def _exchange(self, conn, head, body, where, reused=None):
        """One request and its answer on `conn`, kept for the next request when the
        answer allows it, closed otherwise. `reused`: the method, when `conn` served an
        earlier request; then _Again is raised instead of the error when the connection
        broke before any byte of the answer and the request may go again."""
        sock, stream = conn[1], conn[2]
        phase = "send"
        line = b""
        try:
            # CPython wraps the raw socket into a new object: its timeout is the one.
            (sock if hasattr(sock, "settimeout") else conn[0]).settimeout(self.timeout)
            stream.write(head)
            if body:
                stream.write(body)
            if stream is not sock:  # CPython only: flush the makefile() buffer
                stream.flush()
            phase = "receive"
            line = wire.readline(stream)
            answer, reuse = self._read(stream, line)
        except Exception as e:
            _shut(conn)
            # Rebound, not a new local: `e` is dropped when the clause ends, so the error
            # and this frame do not keep each other alive.
            e = wire.fail(phase, e, where)
            if (reused and not line and e.code in (52, 55, 56)
                    and (not e.sent or reused in IDEMPOTENT)):
                raise _Again()
            raise e
        if reuse and self.keep_alive:
            self._conn = conn
        else:
            _shut(conn)
        return answer

    def _read(self, f, line):
        code = wire.status(line)
        headers = {}
        for _ in range(wire.MAX_HEADERS):
            if not wire.header(wire.readline(f), headers):
                break
        else:
            raise wire.fault("headers", wire.MAX_HEADERS)
        reuse = wire.reusable(line, headers)
        n = wire.body_length(headers, self.max_response)
        if n is not None and n >= 0:
            data = f.read(n) if n else b""
            wire.short(len(data), n)
            return (code, headers, data), reuse
        from utwilio import unsized

        if n is None:
            return (code, headers, unsized.to_close(f, self.max_response)), False
        return (code, headers, unsized.chunked(f, self.max_response)), reuse
