"""The sandbox as an ASGI application: Twilio's REST paths plus /sandbox/ controls."""

import contextlib
from dataclasses import replace

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import messages
from .accounts import authenticate, ensure_account, ensure_key
from .errors import TwilioError, error_response, method_not_allowed, not_found
from .numbers import ensure_number
from .paging import paginate
from .settings import Settings
from .store import Store

ACCOUNT = "/2010-04-01/Accounts/{account_sid}"


class Sandbox:
    """Everything a request handler needs: the store and the settings."""

    def __init__(self, store, settings):
        self.store = store
        self.settings = settings

    def seed(self):
        """Make sure the configured account, key, numbers and opt-outs exist."""
        s = self.settings
        ensure_account(self.store, s.account_sid, s.auth_token)
        ensure_key(self.store, s.account_sid, s.api_key_sid, s.api_key_secret)
        for number in s.numbers:
            ensure_number(self.store, s.account_sid, number)
        for number in s.opted_out:
            self.store.opt_out(number)

    def reset(self):
        self.store.clear()
        self.seed()


async def _params(request):
    if request.method in ("POST", "PUT"):
        body = await request.body()
        try:
            return QueryParams(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise TwilioError(20001, "The request body must be UTF-8, percent-encoded") from None
    return request.query_params


def api(handler):
    """An endpoint under /Accounts/{AccountSid}: authenticate, parse params, then handle."""

    async def endpoint(request):
        sandbox = request.app.state.sandbox
        account = authenticate(sandbox.store, request, request.path_params["account_sid"])
        return await handler(sandbox, request, account, await _params(request))

    return endpoint


def _json(data, status=200):
    return JSONResponse(data, status_code=status)


@api
async def messages_list(sandbox, request, account, params):
    if request.method == "POST":
        return _json(messages.create(sandbox.store, account, params).data, 201)
    records = messages.filtered(sandbox.store, account, params)
    return _json(paginate(params, records, request.url.path, "messages", lambda r: r.data))


@api
async def message_instance(sandbox, request, account, params):
    record = messages.fetch(sandbox.store, account, request.path_params["sid"], request.url.path)
    return _json(record.data)


async def sandbox_reset(request):
    request.app.state.sandbox.reset()
    return Response(status_code=204)


async def sandbox_info(request):
    s = request.app.state.sandbox.settings
    return _json(
        {
            "account_sid": s.account_sid,
            "auth_token": s.auth_token,
            "api_key_sid": s.api_key_sid,
            "api_key_secret": s.api_key_secret,
            "numbers": list(s.numbers),
        }
    )


async def sandbox_messages(request):
    """Every message of every account, oldest first: what a test wants to see was sent."""
    store = request.app.state.sandbox.store
    return _json({"messages": [r.data for r in store.all("message", newest_first=False)]})


async def sandbox_opt_outs(request):
    params = await _params(request)
    number = params.get("Number", "")
    if not number:
        raise TwilioError(21604, "Number is required, e.g. Number=%2B15551234567")
    store = request.app.state.sandbox.store
    (store.opt_out if request.method == "POST" else store.opt_in)(number)
    return Response(status_code=204)


async def _twilio_error(request, exc):
    return error_response(exc)


async def _http_error(request, exc):
    if exc.status_code == 404:
        return error_response(not_found(request.url.path))
    if exc.status_code == 405:
        return error_response(method_not_allowed())
    return error_response(TwilioError(20001, exc.detail, exc.status_code))


def create_app(db_path=":memory:", settings=None, **overrides):
    """The sandbox app; `overrides` are Settings fields (account_sid=, numbers=, ...)."""
    settings = replace(settings or Settings(), **overrides)
    sandbox = Sandbox(Store(db_path), settings)
    sandbox.seed()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        try:
            yield
        finally:
            sandbox.store.close()

    routes = [
        Route(ACCOUNT + "/Messages.json", messages_list, methods=["GET", "POST"]),
        Route(ACCOUNT + "/Messages/{sid}.json", message_instance, methods=["GET"]),
        Route("/sandbox/reset", sandbox_reset, methods=["POST"]),
        Route("/sandbox/info", sandbox_info, methods=["GET"]),
        Route("/sandbox/messages", sandbox_messages, methods=["GET"]),
        Route("/sandbox/opt-outs", sandbox_opt_outs, methods=["POST", "DELETE"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={TwilioError: _twilio_error, HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    return app
