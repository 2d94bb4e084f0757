"""Who may see and act: the dashboard password (HTTP Basic, any user name), and for
every action a CSRF token, a same-origin request and a JSON body.

The browser sends Basic credentials with any request to the agent, even one a
hostile page triggers; so an action must also carry a token that only a page read
with the password can know. The token is derived from the password, so every agent
sharing a configuration accepts it."""

import base64
import binascii
import hashlib
import hmac

from starlette.responses import JSONResponse, Response

from .. import logs

# Scripts, styles and data only from the agent; never framed (clickjacking).
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Refused(Exception):
    """The request may not go on; `response` says why."""

    def __init__(self, response):
        super().__init__(response.status_code)
        self.response = response


def user(request):
    """-> the user name given with the right password; raises Refused otherwise."""
    password = request.app.state.agent.config.dashboard_password
    if not password:
        raise Refused(JSONResponse({"error": "the dashboard is off: set "
                                    "UTWILIO_DASHBOARD_PASSWORD to turn it on"}, 404))
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    name = given = ""
    if scheme.lower() == "basic":
        try:
            name, _, given = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            pass
    if not hmac.compare_digest(given.encode(), password.encode()):
        raise Refused(Response("the dashboard needs the password in UTWILIO_DASHBOARD_PASSWORD",
                               401, headers={"WWW-Authenticate": 'Basic realm="utwilio agent"'}))
    return name[:64] or "someone"


def csrf_token(password):
    return hmac.new(password.encode(), b"utwilio console csrf", hashlib.sha256).hexdigest()


def actor(request):
    """An action's checks -> "name from address"; raises Refused (403) for a request
    that a page elsewhere could have made."""
    name = user(request)
    password = request.app.state.agent.config.dashboard_password
    token = request.headers.get("x-csrf-token", "")
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    problem = None
    if not hmac.compare_digest(token.encode(), csrf_token(password).encode()):
        problem = "missing or wrong X-CSRF-Token: act from the console's own page"
    elif origin is not None and origin.split("://", 1)[-1] != host:
        problem = "the request came from another site (%s)" % origin[:100]
    elif request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        problem = "the request came from another site"
    elif kind != "application/json":
        problem = "send the action as application/json"
    address = request.client.host if request.client else "?"
    if problem:
        logs.warning("console.refused", path=request.url.path, user=name, address=address)
        raise Refused(JSONResponse({"error": problem}, 403))
    return "%s from %s" % (name, address)
