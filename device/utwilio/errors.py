"""The two failures a send can meet: Twilio said no, or the network did."""


class TwilioError(Exception):
    """Raised (only when asked for) for a Twilio error or a transport failure.

    `status` is the HTTP status, or below 100 for a transport failure (the same
    libcurl-style codes the result dict carries as `statuscode`).
    """

    def __init__(self, status, message, code=None, more_info=None, response=None):
        if status < 100:
            text = "no answer (transport error %d): %s" % (status, message)
        elif code is None:
            text = "HTTP %d: %s" % (status, message)
        else:
            text = "HTTP %d, Twilio error %d: %s" % (status, code, message)
        super().__init__(text)
        self.status = status
        self.code = code
        self.message = message
        self.more_info = more_info
        self.response = response


class TransportError(Exception):
    """The request did not get an HTTP answer; `code` follows libcurl's numbering
    (6 DNS, 7 connect, 8 garbage, 18 short body, 27 out of memory, 28 timeout,
    35 TLS handshake, 52 empty reply, 55 send, 56 receive, 60 certificate, 63 too large)
    because Electric Imp's `statuscode` below 100 means exactly that.

    `sent` is True when the whole request had been written before the failure: the
    server may have acted on it (a POST may have created an SMS), so it must not be
    repeated blindly."""

    def __init__(self, code, message, sent=False):
        super().__init__(message)
        self.code = code
        self.message = message
        self.sent = sent
