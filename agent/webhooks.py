"""Twilio's requests to the agent: inbound SMS and message status callbacks.

Each must carry a valid X-Twilio-Signature over the URL Twilio called, which behind a
proxy or tunnel is the configured `public_url`, not the one the agent sees; without
one: 403, and nothing is read further or stored."""

from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from utwilio import form, signature
from utwilio.reply import CONTENT_TYPE

from . import logs

FORM = "application/x-www-form-urlencoded"


class Params:
    """The form's (name, value) pairs; `get` gives a name's first value."""

    def __init__(self, pairs):
        self.pairs = pairs
        self._first = {}
        for name, value in pairs:
            self._first.setdefault(name, value)

    def get(self, name, default=None):
        return self._first.get(name, default)


def signed_url(config, request):
    """The URL Twilio signed: the public URL with the path and query received."""
    if not config.public_url:
        return str(request.url)
    query = request.url.query
    return config.public_url + request.url.path + ("?" + query if query else "")


async def _signed_params(request):
    """-> (Params, None) or (None, the refusal)."""
    config = request.app.state.agent.config
    if not config.auth_token:
        logs.warning("webhook.unverifiable", hint="set TWILIO_AUTH_TOKEN")
        return None, JSONResponse(
            {"error": "the agent has no TWILIO_AUTH_TOKEN to check Twilio's signature"}, 403)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM:
        return None, JSONResponse({"error": "the body must be %s" % FORM}, 415)
    body = await request.body()
    try:
        pairs = form.parse(body)
    except ValueError as error:
        return None, JSONResponse({"error": "malformed form body: %s" % error}, 400)
    claimed = request.headers.get("x-twilio-signature", "")
    if not claimed or not signature.validate(
        config.auth_token, claimed, signed_url(config, request), params=pairs
    ):
        logs.warning("webhook.forged", path=request.url.path, signed=bool(claimed))
        return None, JSONResponse({"error": "missing or wrong X-Twilio-Signature"}, 403)
    return Params(pairs), None


async def sms(request):
    params, refusal = await _signed_params(request)
    if refusal:
        return refusal
    agent = request.app.state.agent
    answer = await agent.inbound(params, request.headers.get("i-twilio-idempotency-token"))
    return Response(answer, media_type=CONTENT_TYPE)


async def status(request):
    params, refusal = await _signed_params(request)
    if refusal:
        return refusal
    await request.app.state.agent.status(params)
    return Response(status_code=204)


def routes():
    return [
        Route("/twilio/sms", sms, methods=["POST"]),
        Route("/twilio/status", status, methods=["POST"]),
    ]
