"""What went wrong under utwilio.mqtt, in words: loaded only when something did."""

from utwilio.errors import TransportError

REFUSED = ("", "unacceptable protocol version", "client id refused", "server unavailable",
           "bad user name or password", "not authorized")


def refused(code):
    """A CONNACK's refusal -> TransportError."""
    return TransportError(67, "the broker refused the login: %s" % (
        REFUSED[code] if code < len(REFUSED) else "code %d" % code))


def fail(phase, e, where):
    """An exception at `phase` -> TransportError (codes as in utwilio.errors)."""
    if isinstance(e, TransportError):
        return e
    if isinstance(e, MemoryError):
        return TransportError(27, "out of memory talking to %s" % where)
    text = str(e)
    up = text.upper()
    err = e.args[0] if e.args else None
    if err == 110 or "TIMED OUT" in up:
        return TransportError(28, "timed out during %s with %s" % (phase, where))
    if phase == "tls" or "SSL" in up or "CERTIFICATE" in up or (
            isinstance(err, int) and err < -100):
        if "VERIFY" in up or "CERTIFICATE" in up or "HOSTNAME" in up or err == -9984:
            return TransportError(60, "TLS certificate of %s not trusted (%s): check cadata "
                                  "is the CA that signed it, the host name and the device "
                                  "clock" % (where, text))
        return TransportError(35, "TLS handshake with %s failed (%s)" % (where, text))
    if phase == "connect" or err == 111:
        return TransportError(7, "could not connect to %s (%s)" % (where, text))
    return TransportError(56, "connection to %s lost during %s (%s)" % (where, phase, text))
