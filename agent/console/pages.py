"""The console's routes: two pages (every device; one device), their live streams
and JSON, the actions (send, cancel, retry), and the static files.

Pages are a small HTML shell; console.js lays out the JSON from the stream with
`textContent`, so nothing a device or a sender wrote is ever parsed as markup."""

import json
from html import escape
from pathlib import Path

from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import logs
from ..config import DEVICE_ID
from ..errors import BadRequest, Conflict, NotFound
from ..ids import new_id
from . import access, feed, views, words

STATIC = Path(__file__).parent / "static"
TEXT_MAX = 1600

SHELL = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="%(token)s">
<title>%(title)s · utwilio</title>
<link rel="stylesheet" href="/dashboard/static/utwilio.css">
<link rel="icon" href="/dashboard/static/icon.svg" type="image/svg+xml">
<script src="/dashboard/static/plot.js" defer></script>
<script src="/dashboard/static/console.js" defer></script>
</head><body data-view="%(view)s" data-device="%(device)s">
<header class="bar"><a class="brand" href="/dashboard">utwilio</a>
<span class="where">%(title)s</span>
<span id="live" class="live" role="status">connecting…</span></header>
<main id="main"><noscript>The console needs JavaScript to show live data.</noscript></main>
</body></html>
"""


def _guard(handler):
    """Runs `handler` for a signed-in user; its refusals become answers here (bad
    input and the like are the agent's errors, answered in app.py)."""

    async def guarded(request):
        try:
            return await handler(request)
        except access.Refused as refused:
            return refused.response
        except NotImplementedError as error:
            return JSONResponse({"error": str(error)}, 501)

    return guarded


def _device_id(request):
    device_id = request.path_params["device_id"]
    agent = request.app.state.agent
    if not DEVICE_ID.match(device_id) or device_id not in views.known_devices(agent):
        raise NotFound("no device %r: add it with `utwilio-agent device add NAME`"
                       % device_id[:64])
    return device_id


def _range(request):
    name = request.query_params.get("range", views.DEFAULT_RANGE)
    if name not in views.RANGES:
        raise BadRequest("range must be one of %s, got %r" % (", ".join(views.RANGES), name[:20]))
    return name


def _shell(request, view, title, device=""):
    token = access.csrf_token(request.app.state.agent.config.dashboard_password)
    page = SHELL % {"token": token, "title": escape(title), "view": view,
                    "device": escape(device)}
    return HTMLResponse(page, headers=access.HEADERS)


async def overview_page(request):
    access.user(request)
    return _shell(request, "overview", "Devices")


async def device_page(request):
    access.user(request)
    device_id = _device_id(request)
    return _shell(request, "device", device_id, device_id)


def _snapshot(request):
    """-> a coroutine function giving the data of the page that asked."""
    agent = request.app.state.agent
    if "device_id" in request.path_params:
        device_id, range_name = _device_id(request), _range(request)
        return lambda: views.device(agent, device_id, range_name)
    return lambda: views.overview(agent)


async def data(request):
    access.user(request)
    return JSONResponse(await _snapshot(request)(), headers=access.HEADERS)


async def older(request):
    access.user(request)
    device_id = _device_id(request)
    try:
        before = float(request.query_params.get("before", ""))
    except ValueError:
        raise BadRequest("before must be a unix time in seconds, like 1800000000.5") from None
    return JSONResponse(await views.older(request.app.state.agent, device_id, before),
                        headers=access.HEADERS)


async def live(request):
    access.user(request)
    snapshot = _snapshot(request)
    gzip = "gzip" in request.headers.get("accept-encoding", "")
    return feed.stream(request.app.state.agent, request.app.state.console_feed, snapshot,
                       await snapshot(), gzip)


async def _body_text(request):
    try:
        body = json.loads(await request.body())
    except (ValueError, RecursionError):
        body = None
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise BadRequest('send {"text": "the command, like fan on"}')
    if len(text) > TEXT_MAX:
        raise BadRequest("text must be at most %d characters, got %d" % (TEXT_MAX, len(text)))
    return text


async def _log(agent, who, action, device_id, detail):
    await agent.store.log_action(agent.clock(), who, action, device_id, detail)
    logs.event("console.action", who=who, action=action, device=device_id,
               debug={"detail": detail})


async def send(request):
    who = access.actor(request)
    device_id = _device_id(request)
    text = await _body_text(request)
    agent = request.app.state.agent
    accepted = await agent.queue(device_id, text, sender="console")
    if accepted.outcome != "new":
        raise Conflict("%s's queue is full: try again later" % device_id)
    await _log(agent, who, "sent", device_id, text)
    return JSONResponse({"command": words.command(accepted.command)}, 201)


async def _command_for(request):
    command = await request.app.state.agent.store.command(request.path_params["command_id"])
    if command is None:
        raise NotFound("no such command (it may be older than the history kept)")
    return command


async def cancel(request):
    who = access.actor(request)
    agent = request.app.state.agent
    command = await _command_for(request)
    canceled = await agent.store.cancel_command(command.id, agent.clock())
    if canceled is None:
        raise Conflict("too late to cancel: %s" % words.command(command)["words"])
    await _log(agent, who, "canceled", command.device, command.text)
    return JSONResponse({"command": words.command(canceled)})


async def retry(request):
    who = access.actor(request)
    agent = request.app.state.agent
    command = await _command_for(request)
    config = agent.config.devices.get(command.device)
    now = agent.clock()
    accepted = await agent.store.retry_command(
        command.id, new_id("CM"), now, config.ttl if config else 3600.0,
        config.queue_cap if config else 100)
    if accepted is None:
        raise Conflict("only an expired or canceled command can be sent again; this one is %s"
                       % words.command(command)["words"])
    if accepted.outcome != "new":
        raise Conflict("%s's queue is full: try again later" % command.device)
    agent._wake(command.device)  # a device long-polling here gets it now, not next poll
    await _log(agent, who, "sent again", command.device, command.text)
    return JSONResponse({"command": words.command(accepted.command)}, 201)


def routes():
    guarded = [
        ("/dashboard", overview_page, "GET"),
        ("/dashboard/devices/{device_id}", device_page, "GET"),
        ("/dashboard/api/overview", data, "GET"),
        ("/dashboard/api/devices/{device_id}", data, "GET"),
        ("/dashboard/api/devices/{device_id}/history", older, "GET"),
        ("/dashboard/live/overview", live, "GET"),
        ("/dashboard/live/devices/{device_id}", live, "GET"),
        ("/dashboard/api/devices/{device_id}/commands", send, "POST"),
        ("/dashboard/api/commands/{command_id}/cancel", cancel, "POST"),
        ("/dashboard/api/commands/{command_id}/retry", retry, "POST"),
    ]
    return [Route(path, _guard(handler), methods=[method]) for path, handler, method in guarded] + [
        Mount("/dashboard/static", StaticFiles(directory=STATIC), name="console-static")]
