"""Answering Twilio's inbound-SMS webhook with TwiML."""

from utwilio.xmltext import escape

CONTENT_TYPE = "text/xml"
_DECL = '<?xml version="1.0" encoding="UTF-8"?>'


def twiml(message=None):
    """The TwiML document: one <Message>, or an empty <Response /> (no reply SMS).
    Byte for byte what utwilio.twiml writes for the same document (tests/test_twiml.py),
    without loading it."""
    if message is None or message == "":
        return _DECL + "<Response />"
    if not isinstance(message, str):
        raise TypeError("message must be a str, got %s" % type(message).__name__)
    text = escape(message, False)
    if not text:  # nothing but characters XML forbids
        return _DECL + "<Response><Message /></Response>"
    return _DECL + "<Response><Message>" + text + "</Message></Response>"


def respond(response, message=None):
    """Sends the TwiML reply, status 200, Content-Type text/xml, through whatever
    `response` is:
    - None: returns (200, headers, body) for you to send;
    - an Electric-Imp-like object with header(name, value) and send(code, body);
    - a microdot Response (status_code, headers, body are set; it is returned);
    - a writable stream (a socket): a complete HTTP/1.0 response is written."""
    body = twiml(message)
    if response is None:
        return 200, {"Content-Type": CONTENT_TYPE}, body
    if hasattr(response, "header") and hasattr(response, "send"):
        response.header("Content-Type", CONTENT_TYPE)
        response.send(200, body)
        return None
    data = body.encode()
    if hasattr(response, "status_code") and hasattr(response, "headers"):
        response.status_code = 200
        response.headers["Content-Type"] = CONTENT_TYPE
        response.headers["Content-Length"] = str(len(data))
        response.body = data
        return response
    if hasattr(response, "write"):
        response.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n"
                       % len(data))
        response.write(data)
        return None
    raise TypeError(
        "respond() needs None, an object with header()/send(), a microdot Response or a "
        "writable stream, got %s" % type(response).__name__
    )
