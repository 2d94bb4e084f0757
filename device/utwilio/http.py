"""Blocking HTTP/1.1 over a socket, with verified TLS by default.

Our own because MicroPython's frozen `requests` never verifies certificates, counts
Content-Length in characters and leaks the socket on errors (DESIGN.md)."""

import socket

from utwilio import wire
from utwilio.errors import TransportError

MAX_RESPONSE = 32768
CA_FILE = "ca.der"  # where tools/deploy puts the CA certificate, in DER


def load_ca(path=CA_FILE):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        raise ValueError(
            "no CA certificate to verify TLS: pass cadata=<DER bytes of the CA that signs "
            "the server> or put it in %r (tools/deploy does this); verify=False turns "
            "certificate checks off (insecure)" % path
        )


def for_url(url, cadata=None, verify=True, timeout=15, keep_alive=False):
    """The transport for a server at `url`: with HTTPS, certificate checks on and no
    `cadata`, the CA is read from ca.der now, so a missing CA is an error before any
    network."""
    if verify and cadata is None and url.startswith("https:"):
        cadata = load_ca()
    return Transport(cadata=cadata, verify=verify, timeout=timeout, keep_alive=keep_alive)


def _warn_insecure():
    print("utwilio: WARNING: TLS certificate checks are OFF (verify=False); anyone on the "
          "network can read and change your requests")


def _shut(conn):
    # A failed TLS handshake leaves the raw socket open on MicroPython: close all three.
    for part in reversed(conn):
        part.close()


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
    """`cadata`: DER bytes of the CA that signs the server's certificate.
    `verify=False` skips certificate checks (a warning is printed once).

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
        self._conn = None  # [key, raw, sock, stream] kept for the next request
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
            _shut(conn[1:])

    def context(self):
        """The TLS client context, made on first use (tls costs heap)."""
        if self._ctx is None:
            import tls

            ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
            # The firmware has SSLContext.verify_mode; micropython-stubs 1.29 omit it.
            if self.verify:
                ctx.verify_mode = tls.CERT_REQUIRED  # pyright: ignore[reportAttributeAccessIssue]
                ctx.load_verify_locations(self.cadata)
            else:
                ctx.verify_mode = tls.CERT_NONE  # pyright: ignore[reportAttributeAccessIssue]
                _warn_insecure()
            self._ctx = ctx
        return self._ctx

    def request(self, method, url, headers, body=None):
        """-> (status, headers, body bytes); raises TransportError. `headers` is a
        dict; its block is built once while the caller passes the same dict. Only the
        response headers in wire.KEEP are returned."""
        secure, host, port, path = wire.split_url(url)
        where = "%s:%d" % (host, port)
        if headers is not self._fields_of:
            self._fields, self._fields_of = wire.fields(headers), headers
        head = wire.head(method, host, port, secure, path, self._fields,
                         None if body is None else len(body), self.keep_alive)
        key = where if secure else "http:" + where
        conn, self._conn = self._conn, None
        if conn is not None and (conn[0] != key or _stale(conn[2])):
            _shut(conn[1:])
            conn = None
        if conn is not None:
            try:
                return self._exchange(conn, head, body, where, method)
            except _Again:
                pass
        return self._exchange(self._open(key, host, port, secure, where), head, body, where)

    async def request_async(self, method, url, headers, body=None):
        from utwilio.ahttp import request

        return await request(self, method, url, headers, body)

    def _open(self, key, host, port, secure, where):
        try:
            addr = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0]
        except Exception as e:
            raise wire.fail("resolve", e, host)
        raw = socket.socket(addr[0], socket.SOCK_STREAM)
        conn = [key, raw, raw, raw]
        phase = "connect"
        try:
            raw.settimeout(self.timeout)
            raw.connect(addr[-1])
            if secure:
                phase = "tls"
                conn[2] = conn[3] = self.context().wrap_socket(raw, server_hostname=host)
            if not hasattr(conn[2], "readline"):
                # MicroPython sockets are streams; CPython's need a file object.
                conn[3] = conn[2].makefile("rwb")
        except Exception as e:
            _shut(conn[1:])
            raise wire.fail(phase, e, where)
        self.opened += 1
        return conn

    def _exchange(self, conn, head, body, where, reused=None):
        """One request and its answer on `conn`, kept for the next request when the
        answer allows it, closed otherwise. `reused`: the method, when `conn` served an
        earlier request; then _Again is raised instead of the error when the connection
        broke before any byte of the answer and the request may go again."""
        sock, stream = conn[2], conn[3]
        phase = "send"
        line = b""
        try:
            # CPython wraps the raw socket into a new object: its timeout is the one.
            (sock if hasattr(sock, "settimeout") else conn[1]).settimeout(self.timeout)
            stream.write(head)
            if body:
                stream.write(body)
            if stream is not sock:  # CPython only: flush the makefile() buffer
                stream.flush()
            phase = "receive"
            line = wire.readline(stream)
            answer, reuse = self._read(stream, line)
        except Exception as e:
            _shut(conn[1:])
            error = wire.fail(phase, e, where)
            if (reused and not line and error.code in (52, 55, 56)
                    and (not error.sent or reused in IDEMPOTENT)):
                raise _Again()
            raise error
        if reuse and self.keep_alive:
            self._conn = conn
        else:
            _shut(conn[1:])
        return answer

    def _read(self, f, line):
        code = wire.status(line)
        headers = {}
        for _ in range(wire.MAX_HEADERS):
            if not wire.header(wire.readline(f), headers):
                break
        else:
            raise TransportError(8, "more than %d HTTP header lines" % wire.MAX_HEADERS)
        reuse = wire.reusable(line, headers)
        n = wire.body_length(headers, self.max_response)
        if n is None:
            return (code, headers, self._read_to_close(f)), False
        if n >= 0:
            data = f.read(n) if n else b""
            wire.short(len(data), n)
            return (code, headers, data), reuse
        return (code, headers, self._read_chunked(f)), reuse

    def _read_chunked(self, f):
        chunks = []
        total = 0
        while True:
            size = wire.chunk_size(wire.readline(f))
            if size == 0:
                while wire.readline(f) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            wire.too_big(total, self.max_response)
            data = f.read(size)
            wire.short(len(data), size)
            chunks.append(data)
            wire.readline(f)

    def _read_to_close(self, f):
        chunks = []
        total = 0
        while True:
            data = f.read(1024)
            if not data:
                return b"".join(chunks)
            total += len(data)
            wire.too_big(total, self.max_response)
            chunks.append(data)
