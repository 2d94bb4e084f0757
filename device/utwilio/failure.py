"""Which failure an OSError (or TLS error) at a phase of a request is: loaded only
when a request failed, so a device that sends without trouble never holds it."""

from utwilio.errors import TransportError

ETIMEDOUT = 110
ECONNREFUSED = 111
ECONNRESET = 104


def _tls_text(up):
    return "SSL" in up or "TLS" in up or "MBEDTLS" in up or "CERTIFICATE" in up


def classify(phase, exc, where):
    """The phase alone is not enough: asyncio streams do the TLS handshake on first
    write, so the text of the error counts too."""
    if isinstance(exc, MemoryError):
        return TransportError(27, "out of memory talking to %s" % where)
    text = str(exc)
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
