"""Which failure an OSError (or TLS error) at a phase of a request is, and the
messages of a bad answer: loaded only when a request failed, so a device that sends
without trouble never holds them."""

from utwilio.errors import TransportError

ETIMEDOUT = 110
ECONNREFUSED = 111
ECONNRESET = 104


# kind -> (libcurl-style code, message); see utwilio.errors.TransportError.
_FAULTS = {
    "empty": (52, "empty reply from server"),
    "not http": (8, "not an HTTP response: %r"),
    "status line": (8, "bad HTTP status line: %r"),
    "status code": (8, "bad HTTP status code: %d"),
    "cut headers": (8, "connection ended inside the response headers"),
    "header": (8, "bad HTTP header line: %r"),
    "headers": (8, "more than %d HTTP header lines"),
    "long line": (8, "HTTP header line over %d bytes"),
    "length": (8, "bad Content-Length: %r"),
    "chunk": (8, "bad chunk size line: %r"),
    "too big": (63, "response of %d bytes is over the %d-byte limit"),
    "short": (18, "connection closed after %d of %d body bytes"),
}


def fault(kind, args):
    code, text = _FAULTS[kind]
    if args is None:
        return TransportError(code, text)
    text = text % args
    if kind == "not http" and args[:2] == b"\x15\x03":  # a TLS alert record
        text = "the server speaks TLS: use an https:// URL (%s)" % text
    return TransportError(code, text)


def _tls_text(up):
    return "SSL" in up or "TLS" in up or "MBEDTLS" in up or "CERTIFICATE" in up


def classify(phase, exc, where):
    """The phase alone is not enough: asyncio streams do the TLS handshake on first
    write, so the text of the error counts too."""
    if isinstance(exc, MemoryError):
        return TransportError(27, "out of memory talking to %s" % where)
    text = " ".join(str(exc).split())  # MicroPython's TLS errors span lines
    up = text.upper()
    err = exc.args[0] if exc.args else None
    if phase == "resolve" or "ADDRINFO" in up or type(exc).__name__ == "gaierror":
        return TransportError(6, "could not resolve host %s (%s)" % (where, text))
    if err == ETIMEDOUT or "TIMED OUT" in up:
        return TransportError(28, "timed out during %s with %s" % (phase, where))
    if phase == "tls" or _tls_text(up) or (isinstance(err, int) and err < -100):
        if "VERIFY" in up or "CERTIFICATE" in up or "HOSTNAME" in up or err == -9984:
            return TransportError(
                60,
                "TLS certificate of %s not trusted (%s): check cadata is the CA that signed "
                "it, the host name and the device clock" % (where, text),
            )
        return TransportError(35, "TLS handshake with %s failed (%s)" % (where, text))
    # With a timeout set, MicroPython connects in the background: a refusal may only
    # show at the first write.
    if phase == "connect" or err == ECONNREFUSED:
        return TransportError(7, "could not connect to %s (%s)" % (where, text))
    if phase == "send":
        return TransportError(55, "sending to %s failed (%s)" % (where, text))
    if err == ECONNRESET or "RESET" in up:
        return TransportError(56, "connection reset by %s" % where)
    return TransportError(56, "receiving from %s failed (%s)" % (where, text))
