"""What every REST endpoint shares: authentication, parameters, JSON replies."""

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse, Response

from .accounts import authenticate, authenticate_any
from .errors import TwilioError, not_found
from .formats import is_url


async def params_of(request):
    """Form body for POST (UTF-8, percent-encoded, repeated keys kept), else the query."""
    if request.method in ("POST", "PUT"):
        body = await request.body()
        try:
            return QueryParams(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise TwilioError(20001, "The request body must be UTF-8, percent-encoded") from None
    return request.query_params


def api(handler):
    """An endpoint under /Accounts/{account_sid}: authenticate, parse, then handle."""

    async def endpoint(request):
        sandbox = request.app.state.sandbox
        sandbox.limit_rate(request)
        account = authenticate(sandbox.store, request, request.path_params["account_sid"])
        return await handler(sandbox, request, account, await params_of(request))

    return endpoint


def api_any(handler):
    """An endpoint outside /Accounts/ (Lookup, Monitor, the Accounts list): any
    valid credentials; the handler gets the account they belong to."""

    async def endpoint(request):
        sandbox = request.app.state.sandbox
        sandbox.limit_rate(request)
        account = authenticate_any(sandbox.store, request)
        return await handler(sandbox, request, account, await params_of(request))

    return endpoint


def json(data, status=200):
    return JSONResponse(data, status_code=status)


def no_content():
    return Response(status_code=204)


def owned(store, kind, sid, account, path):
    """The account's resource `sid`, or 20404 naming the path asked for."""
    record = store.get(kind, sid)
    if record is None or record.account_sid != account.sid:
        raise not_found(path)
    return record


def setting(name, value, default=None):
    """A create/update parameter checked as Twilio checks it: a *Method is GET or POST,
    a *Url or *Callback a URL, and a field whose `default` is a flag or a count takes
    true/false or digits; the value the field is set to."""
    if name.endswith("Method"):
        value = value.upper()
        if value not in ("GET", "POST"):
            raise TwilioError(21503, "%s must be GET or POST, got %s" % (name, value))
    elif name.endswith(("Url", "Callback")):
        if value and not is_url(value):
            raise TwilioError(21502, "%s is not a valid URL: %s" % (name, value))
    elif isinstance(default, bool):
        if value.lower() not in ("true", "false"):
            raise TwilioError(20001, "%s must be true or false, got %r" % (name, value))
        value = value.lower() == "true"
    elif isinstance(default, int):
        if not value.isdigit():
            raise TwilioError(20001, "%s must be a whole number, got %r" % (name, value))
        value = int(value)
    return value
