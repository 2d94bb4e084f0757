"""A server that answers every request as api.twilio.com answers a send: `201 CREATED`,
the ~15 headers Twilio's edge sends and a ~800-byte Message JSON. The sandbox's answers
carry 5 headers and understate the heap a send needs (DESIGN.md); memory figures are
taken against this one. HTTP/1.1 keep-alive as uvicorn does it.

    with TwilioShaped() as server: server.url, server.requests"""

import json

from utwilio_sandbox.server import ServerThread

SID = "AC" + "0" * 32
MESSAGE_SID = "SM" + "a" * 32
HEADERS = [
    (b"content-type", b"application/json; charset=utf-8"),
    (b"twilio-concurrent-requests", b"1"),
    (b"twilio-request-id", b"RQ0123456789abcdef0123456789abcdef"),
    (b"twilio-request-duration", b"0.112"),
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-headers", b"Accept, Authorization, Content-Type, If-Match, "
     b"If-Modified-Since, If-None-Match, If-Unmodified-Since, Idempotency-Key"),
    (b"access-control-allow-methods", b"GET, POST, DELETE, OPTIONS"),
    (b"access-control-expose-headers", b"ETag"),
    (b"access-control-allow-credentials", b"true"),
    (b"x-powered-by", b"AT-5000"),
    (b"x-shenanigans", b"none"),
    (b"x-home-region", b"us1"),
    (b"x-api-domain", b"api.twilio.com"),
    (b"strict-transport-security", b"max-age=31536000"),
]


def message(body="Greenhouse hot: 36.2C", to="+15551234567", from_="+15550000001"):
    """A Message resource as Twilio returns it for a send, key for key."""
    now = "Tue, 01 Dec 2026 03:00:00 +0000"
    uri = "/2010-04-01/Accounts/%s/Messages/%s" % (SID, MESSAGE_SID)
    return {
        "account_sid": SID, "api_version": "2010-04-01", "body": body, "date_created": now,
        "date_sent": None, "date_updated": now, "direction": "outbound-api",
        "error_code": None, "error_message": None, "from": from_,
        "messaging_service_sid": None, "num_media": "0", "num_segments": "1", "price": None,
        "price_unit": "USD", "sid": MESSAGE_SID, "status": "queued",
        "subresource_uris": {"media": uri + "/Media.json"}, "to": to, "uri": uri + ".json",
    }


class TwilioShaped(ServerThread):
    def __init__(self, tls_cert=None, tls_key=None):
        async def app(scope, receive, send):  # a function: uvicorn takes methods for ASGI2
            await self._app(scope, receive, send)

        super().__init__(app, tls_cert=tls_cert, tls_key=tls_key)
        self.requests = 0

    async def _app(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                await send({"type": event["type"] + ".complete"})
                if event["type"] == "lifespan.shutdown":
                    return
        more = True
        while more:
            event = await receive()
            more = event.get("more_body", False)
        self.requests += 1
        body = json.dumps(message()).encode()
        await send({"type": "http.response.start", "status": 201,
                    "headers": HEADERS + [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
