"""The agent as an ASGI application: `create_app(config)`; any ASGI server hosts it
(`utwilio-agent serve` starts uvicorn)."""

import contextlib
import time

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from . import console, link, logs, webhooks
from .agent import Agent
from .errors import AgentError
from .limits import BodyLimit
from .store import StoreUnavailable, for_config


async def _health(request):
    return JSONResponse({"ok": True})


async def _home(request):
    """Someone opened the agent's address in a browser: say what lives here."""
    return HTMLResponse(
        "<!doctype html><meta charset=utf-8><title>utwilio agent</title>"
        "<h1>utwilio agent</h1><p>The dashboard is at <a href=\"/dashboard\">/dashboard</a>. "
        "Twilio posts texts to <code>/twilio/sms</code>; devices link at "
        "<code>/link/v1/</code>; health: <a href=\"/healthz\">/healthz</a>.</p>")


async def _refused(request, error):
    """The one place where the core's refusals become HTTP answers."""
    return JSONResponse(error.answer(), error.status)


async def _unavailable(request, error):
    """The database is unreachable: nothing was committed; Twilio retries a 503."""
    logs.warning("store.unavailable", path=request.url.path, error=str(error)[:200])
    return JSONResponse({"error": "the agent's database is unreachable; try again"}, 503,
                        headers={"Retry-After": "1"})


def create_app(config, store=None, clock=time.time, rest=None):
    """`store` defaults to the one config.database names (a SQLite path or a
    postgresql:// URL); `rest` (a TwilioRest) to one made from the configured
    credentials; `clock` gives unix seconds (tests move it)."""
    if store is None:
        store = for_config(config)
    agent = Agent(config, store, clock, rest)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await agent.start()
        bridge = None
        if config.mqtt_url:
            from .mqtt import Bridge

            bridge = app.state.mqtt = Bridge(agent)
            await bridge.start()
        try:
            yield
        finally:
            if bridge is not None:
                await bridge.stop()
            await agent.stop()

    app = Starlette(
        routes=webhooks.routes() + link.routes() + console.routes()
        + [Route("/healthz", _health, methods=["GET"]), Route("/", _home, methods=["GET"])],
        middleware=[Middleware(BodyLimit, max_body=config.max_body)],
        exception_handlers={AgentError: _refused, StoreUnavailable: _unavailable},
        lifespan=lifespan,
    )
    app.state.agent = agent
    console.attach(app)
    return app
