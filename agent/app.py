"""The agent as an ASGI application: `create_app(config)`; any ASGI server hosts it
(`utwilio-agent serve` starts uvicorn)."""

import contextlib
import time

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import dashboard, link, webhooks
from .agent import Agent
from .limits import BodyLimit
from .sqlite_store import SQLiteStore


async def _health(request):
    return JSONResponse({"ok": True})


def create_app(config, store=None, clock=time.time, rest=None):
    """`store` defaults to SQLite at config.database; `rest` (a TwilioRest) to one made
    from the configured credentials; `clock` gives unix seconds (tests move it)."""
    if store is None:
        store = SQLiteStore(config.database, config.synchronous)
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
        routes=webhooks.routes() + link.routes() + dashboard.routes()
        + [Route("/healthz", _health, methods=["GET"])],
        middleware=[Middleware(BodyLimit, max_body=config.max_body)],
        lifespan=lifespan,
    )
    app.state.agent = agent
    return app
