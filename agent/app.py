"""The agent as an ASGI application: `create_app(config)`; any ASGI server hosts it
(`utwilio-agent serve` starts uvicorn)."""

import contextlib
import time

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from . import console, link, webhooks
from .agent import Agent
from .limits import BodyLimit
from .sqlite_store import SQLiteStore


async def _health(request):
    return JSONResponse({"ok": True})


async def _home(request):
    """Someone opened the agent's address in a browser: say what lives here."""
    return HTMLResponse(
        "<!doctype html><meta charset=utf-8><title>utwilio agent</title>"
        "<h1>utwilio agent</h1><p>The dashboard is at <a href=\"/dashboard\">/dashboard</a>. "
        "Twilio posts texts to <code>/twilio/sms</code>; devices link at "
        "<code>/link/v1/</code>; health: <a href=\"/healthz\">/healthz</a>.</p>")


def create_app(config, store=None, clock=time.time, rest=None):
    """`store` defaults to SQLite at config.database; `rest` (a TwilioRest) to one made
    from the configured credentials; `clock` gives unix seconds (tests move it)."""
    if store is None:
        store = SQLiteStore(config.database, config.synchronous)
    agent = Agent(config, store, clock, rest)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await agent.start()
        try:
            yield
        finally:
            await agent.stop()

    app = Starlette(
        routes=webhooks.routes() + link.routes() + console.routes()
        + [Route("/healthz", _health, methods=["GET"]), Route("/", _home, methods=["GET"])],
        middleware=[Middleware(BodyLimit, max_body=config.max_body)],
        lifespan=lifespan,
    )
    app.state.agent = agent
    console.attach(app)
    return app
