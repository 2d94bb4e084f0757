"""Twilio's requests to the agent: inbound SMS and message status callbacks.

Each must carry a valid X-Twilio-Signature over the URL Twilio called, which behind a
proxy or tunnel is the configured `public_url`, not the one the agent sees; without
one: 403, and nothing is read further or stored. The signature is HMAC-SHA1 with the
auth token, or, when X-Twilio-Webhooks-Signature-Settings says so, HMAC-SHA256 with the
SharedKey secret (TWILIO_SHARED_KEY_SECRET)."""

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
    secret, algorithm, refusal = _signing(config, request)
    if refusal:
        return None, refusal
    if not claimed or not signature.validate(
        secret, claimed, signed_url(config, request), params=pairs, algorithm=algorithm
    ):
        logs.warning("webhook.forged", path=request.url.path, signed=bool(claimed),
                     url_checked=signed_url(config, request), url_requested=str(request.url),
                     hint="the signature is checked against [agent] public_url + the path: "
                          "it must be the URL Twilio calls, as set in Twilio's console "
                          "(scheme, host, port), e.g. your tunnel's https URL")
        return None, JSONResponse({"error": "missing or wrong X-Twilio-Signature"}, 403)
    return Params(pairs), None


def _signing(config, request):
    """-> (secret, algorithm, None) or (None, None, the refusal). Without
    X-Twilio-Webhooks-Signature-Settings Twilio signed with the auth token and HMAC-SHA1;
    with it, with the SharedKey secret and the algorithm it names (HMAC_SHA256)."""
    settings = request.headers.get(signature.SETTINGS_HEADER.lower())
    if settings is None:
        return config.auth_token, signature.HMAC_SHA1, None
    algorithm = signature.algorithm(settings)
    if algorithm not in (signature.HMAC_SHA1, signature.HMAC_SHA256):
        logs.warning("webhook.forged", path=request.url.path, algorithm=algorithm[:40])
        return None, None, JSONResponse(
            {"error": "unsupported signature algorithm %r" % algorithm[:40]}, 403)
    if not config.shared_key_secret:
        logs.warning("webhook.unverifiable", hint="set TWILIO_SHARED_KEY_SECRET")
        return None, None, JSONResponse(
            {"error": "the webhook is signed with a SharedKey (%s): give the agent its "
                      "secret in TWILIO_SHARED_KEY_SECRET" % algorithm}, 403)
    return config.shared_key_secret, algorithm, None


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
