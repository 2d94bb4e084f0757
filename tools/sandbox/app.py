"""The sandbox as an ASGI application: Twilio's REST paths plus /sandbox/ controls.

Every Twilio host (api., lookups., monitor.) is served by path on this one server:
/2010-04-01/... (api), /v2/PhoneNumbers/... (lookups), /v1/Alerts (monitor).
"""

import asyncio
import contextlib
import time
from dataclasses import replace

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route

from . import (
    account_routes,
    alerts,
    calls,
    delivery,
    inbound,
    lookup,
    messages,
    numbers,
    phone,
    resources,
    services,
    usage,
    webhooks,
)
from .accounts import ensure_account, ensure_key
from .endpoints import json, no_content, params_of
from .errors import TwilioError, error_response, method_not_allowed, not_found
from .numbers import ensure_number, find
from .scheduler import Scheduler
from .settings import Settings
from .signing import HMAC_SHA1, HMAC_SHA256, Signer
from .store import Store


class Sandbox:
    """What request handlers and background jobs share: store, settings, clock."""

    def __init__(self, store, settings):
        self.store = store
        self.settings = settings
        self.scheduler = Scheduler()
        self.version = 0  # bumps on every change the phone page should show
        self._requests = {}

    def seed(self):
        """Make sure the configured account, key, numbers and opt-outs exist."""
        s = self.settings
        ensure_account(self.store, s.account_sid, s.auth_token)
        ensure_key(self.store, s.account_sid, s.api_key_sid, s.api_key_secret)
        resources.seed(self, s.account_sid)
        owned = [ensure_number(self.store, s.account_sid, number) for number in s.numbers]
        services.ensure_default(self, s.account_sid, s.messaging_service_sid, owned)
        for number in s.opted_out:
            self.store.opt_out(number)

    def reset(self):
        self.scheduler.clear()
        self.store.clear()
        self.seed()
        self.changed()

    def resume(self):
        """After a restart, carry on with messages that were still on their way."""
        for record in self.store.all("message", newest_first=False):
            if record.data["status"] in ("queued", "accepted", "sending", "sent"):
                delivery.start(self, record.sid)

    def changed(self):
        self.version += 1

    def limit_rate(self, request):
        limit = self.settings.rate_limit
        if not limit:
            return
        who = request.headers.get("authorization", "")
        second = int(time.monotonic())
        window, count = self._requests.get(who, (second, 0))
        count = count + 1 if window == second else 1
        self._requests[who] = (second, count)
        if count > limit:
            raise TwilioError(20429, "Too Many Requests", 429, {"Retry-After": "1"})

    def signer(self, account_sid, resource_sid=None):
        """The account's auth token (HMAC-SHA1), unless the number the webhook is about
        (a message's or call's own number) was set to sign with a SharedKey."""
        number = numbers.number_of(self.store, resource_sid)
        setting = number.private.get("signing") if number else None
        if setting:
            return Signer(setting["secret"], setting["algorithm"], setting["key_id"])
        account = self.store.get("account", account_sid)
        return Signer(account.data["auth_token"] if account else self.settings.auth_token)

    async def webhook(self, account_sid, url, params, method="POST", resource_sid=None):
        """Call a user's URL as Twilio would, signed (see `signer`); failures are
        recorded as debugger alerts."""
        result = await webhooks.call(
            url,
            params,
            self.signer(account_sid, resource_sid),
            method,
            self.settings.webhook_timeout,
            self.settings.webhook_ca,
        )
        if not result.ok:
            alerts.record(
                self,
                account_sid,
                result.error_code,
                result.error,
                url,
                method,
                params,
                result.body,
                resource_sid,
            )
        return result


async def _reset(request):
    request.app.state.sandbox.reset()
    return no_content()


async def _info(request):
    s = request.app.state.sandbox.settings
    return json(
        {
            "account_sid": s.account_sid,
            "auth_token": s.auth_token,
            "api_key_sid": s.api_key_sid,
            "api_key_secret": s.api_key_secret,
            "numbers": list(s.numbers),
        }
    )


async def _all_messages(request):
    """Every message of every account, oldest first: what a test wants to see was sent."""
    store = request.app.state.sandbox.store
    return json({"messages": [r.data for r in store.all("message", newest_first=False)]})


async def _all_alerts(request):
    store = request.app.state.sandbox.store
    return json({"alerts": [r.data for r in store.all("alert", newest_first=False)]})


async def _opt_outs(request):
    params = await params_of(request)
    number = params.get("Number", "")
    if not number:
        raise TwilioError(21604, "Number is required, e.g. Number=%2B15551234567")
    store = request.app.state.sandbox.store
    (store.opt_out if request.method == "POST" else store.opt_in)(number)
    return no_content()


async def _advance_clock(request):
    """Move the sandbox's clock forward (Seconds=N): scheduled messages come due."""
    params = await params_of(request)
    try:
        seconds = float(params.get("Seconds", ""))
    except ValueError:
        raise TwilioError(20001, "Seconds must be a number, e.g. Seconds=900") from None
    sandbox = request.app.state.sandbox
    sandbox.scheduler.advance(seconds)
    return json({"offset": sandbox.scheduler.offset})


def _number_view(record):
    signing = record.private.get("signing") or {}
    return {
        "phone_number": record.data["phone_number"],
        "sid": record.sid,
        "sms_url": record.data["sms_url"],
        "sms_method": record.data["sms_method"],
        "signature_algorithm": signing.get("algorithm", HMAC_SHA1),
        "signature_key_id": signing.get("key_id"),
    }


async def _numbers(request):
    store = request.app.state.sandbox.store
    found = store.all("incoming_phone_number", newest_first=False)
    return json({"numbers": [_number_view(r) for r in found]})


async def _number_settings(request):
    """What a number's console page sets: SmsUrl (and SmsMethod), and how its webhooks
    are signed (SignatureAlgorithm=HMAC_SHA256 with SharedKeySecret, optional
    SharedKeyId; HMAC_SHA1 goes back to the auth token)."""
    sandbox = request.app.state.sandbox
    number = find(sandbox.store, request.path_params["number"])
    if number is None:
        raise not_found(request.url.path)
    params = await params_of(request)
    numbers.apply(number, params)  # SmsUrl, SmsMethod… checked as the REST update checks them
    algorithm = params.get("SignatureAlgorithm")
    if algorithm == HMAC_SHA256:
        secret = params.get("SharedKeySecret", "")
        if not secret:
            raise TwilioError(20001, "SharedKeySecret is required with HMAC_SHA256")
        key_id = params.get("SharedKeyId") or "webhooks_sharedkey_" + number.sid[2:]
        number.private["signing"] = {"algorithm": algorithm, "secret": secret, "key_id": key_id}
    elif algorithm == HMAC_SHA1:
        number.private.pop("signing", None)
    elif algorithm is not None:
        raise TwilioError(
            20001, "SignatureAlgorithm must be HMAC_SHA1 or HMAC_SHA256, got %r" % algorithm
        )
    sandbox.store.update(number)
    sandbox.changed()
    return json(_number_view(number))


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
        runner = asyncio.create_task(sandbox.scheduler.run())
        sandbox.resume()
        try:
            yield
        finally:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
            sandbox.store.close()

    routes = [
        *messages.routes(),
        *numbers.routes(),
        *calls.routes(),
        *account_routes.routes(),
        *usage.routes(),
        *resources.routes(),
        *services.routes(),
        *lookup.routes(),
        *alerts.routes(),
        *inbound.routes(),
        *phone.routes(),
        Route("/sandbox/reset", _reset, methods=["POST"]),
        Route("/sandbox/info", _info, methods=["GET"]),
        Route("/sandbox/messages", _all_messages, methods=["GET"]),
        Route("/sandbox/alerts", _all_alerts, methods=["GET"]),
        Route("/sandbox/opt-outs", _opt_outs, methods=["POST", "DELETE"]),
        Route("/sandbox/clock", _advance_clock, methods=["POST"]),
        Route("/sandbox/numbers", _numbers, methods=["GET"]),
        Route("/sandbox/numbers/{number}", _number_settings, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={TwilioError: _twilio_error, HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    return app
