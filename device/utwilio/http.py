"""Blocking HTTP/1.1 over a socket, with verified TLS by default.

Our own because MicroPython's frozen `requests` never verifies certificates, counts
Content-Length in characters and leaks the socket on errors (DESIGN.md)."""

import socket

from utwilio import wire

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


def for_url(url, cadata=None, verify=True, timeout=15):
    """The transport for a server at `url`: with HTTPS, certificate checks on and no
    `cadata`, the CA is read from ca.der now, so a missing CA is an error before any
    network."""
    if verify and cadata is None and url.startswith("https:"):
        cadata = load_ca()
    return Transport(cadata=cadata, verify=verify, timeout=timeout)


def _warn_insecure():
    print("utwilio: WARNING: TLS certificate checks are OFF (verify=False); anyone on the "
          "network can read and change your requests")


class Transport:
    """`cadata`: DER bytes of the CA that signs the server's certificate.
    `verify=False` skips certificate checks (a warning is printed once)."""

    def __init__(self, cadata=None, verify=True, timeout=15, max_response=MAX_RESPONSE):
        self.cadata = cadata
        self.verify = verify
        self.timeout = timeout
        self.max_response = max_response
        self._ctx = None

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
        """-> (status, headers, body bytes); raises TransportError."""
        secure, host, port, path = wire.split_url(url)
        where = "%s:%d" % (host, port)
        length = None if body is None else len(body)
        head = wire.head(method, host, port, secure, path, headers, length)
        try:
            addr = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0]
        except Exception as e:
            raise wire.fail("resolve", e, host)
        raw = socket.socket(addr[0], socket.SOCK_STREAM)
        sock = stream = raw
        phase = "connect"
        try:
            raw.settimeout(self.timeout)
            raw.connect(addr[-1])
            if secure:
                phase = "tls"
                sock = stream = self.context().wrap_socket(raw, server_hostname=host)
            if not hasattr(sock, "readline"):
                # MicroPython sockets are streams; CPython's need a file object.
                stream = sock.makefile("rwb")
            phase = "send"
            stream.write(head)
            if body:
                stream.write(body)
            if stream is not sock:  # CPython only: flush the makefile() buffer
                stream.flush()  # pyright: ignore[reportAttributeAccessIssue]
            phase = "receive"
            return self._read(stream)
        except Exception as e:
            raise wire.fail(phase, e, where)
        finally:
            # A failed TLS handshake leaves `raw` open on MicroPython: close all three.
            stream.close()
            sock.close()
            raw.close()

    async def request_async(self, method, url, headers, body=None):
        from utwilio.ahttp import request

        return await request(self, method, url, headers, body)

    def _read(self, f):
        code = wire.status(f.readline(wire.MAX_LINE))
        headers = {}
        while wire.header(f.readline(wire.MAX_LINE), headers):
            pass
        n = wire.body_length(headers, self.max_response)
        if n is None:
            return code, headers, self._read_to_close(f)
        if n >= 0:
            data = f.read(n) if n else b""
            wire.short(len(data), n)
            return code, headers, data
        return code, headers, self._read_chunked(f)

    def _read_chunked(self, f):
        chunks = []
        total = 0
        while True:
            size = wire.chunk_size(f.readline(wire.MAX_LINE))
            if size == 0:
                while f.readline(wire.MAX_LINE) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            wire.too_big(total, self.max_response)
            data = f.read(size)
            wire.short(len(data), size)
            chunks.append(data)
            f.readline(wire.MAX_LINE)

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
