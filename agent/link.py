"""The agent's end of the device link (PROTOCOL.md): HTTP and JSON around Agent.

Every request carries `Authorization: Bearer <token>` for the device in its path;
nothing is read or stored for a request that fails that check."""

import json
import re

from starlette.responses import JSONResponse
from starlette.routing import Route

from . import logs
from .config import DEVICE_ID

PREFIX = "/link/v1/devices/{device_id}"
NAME_MAX = 64
KEY_MAX = 200
MESSAGE_MAX = 1600


def _client(request):
    return request.client.host if request.client else ""


def _error(status, message, **extra):
    return JSONResponse(dict(error=message, **extra), status)


def _authorized(request):
    """-> (device id, None) or (None, the refusal)."""
    agent = request.app.state.agent
    device_id = request.path_params["device_id"]
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, _error(401, "send Authorization: Bearer <device token> (from "
                                 "`utwilio-agent device add NAME`)")
    status = agent.authenticate(device_id, token.strip()) if DEVICE_ID.match(device_id) else 401
    if status != 200:
        logs.warning("link.refused", device=device_id[:64], client=_client(request),
                     reason="another device's token" if status == 403 else
                     "wrong token, or no such device")
    if status == 403:
        return None, _error(403, "this token belongs to another device: a device reaches "
                                 "only its own queue")
    if status != 200:
        return None, _error(401, "wrong device token, or no device %r" % device_id[:64])
    return device_id, None


async def _json(request):
    """-> (the JSON object in the body, None) or (None, a 400)."""
    try:
        data = json.loads(await request.body())
    except (ValueError, RecursionError):
        return None, _error(400, "the body must be a JSON object")
    if not isinstance(data, dict):
        return None, _error(400, "the body must be a JSON object")
    return data, None


def _text(data, key, limit, required):
    """-> (value, error message)"""
    value = data.get(key)
    if value is None and not required:
        return None, None
    if not isinstance(value, str) or (required and not value.strip()):
        return None, "%s must be a non-empty string" % key
    if len(value) > limit:
        return None, "%s must be at most %d characters, got %d" % (key, limit, len(value))
    return value, None


async def commands(request):
    device_id, refusal = _authorized(request)
    if refusal:
        return refusal
    agent = request.app.state.agent
    wait = request.query_params.get("wait", "25")
    limit = agent.config.max_wait
    if not re.fullmatch(r"[0-9]{1,5}", wait) or int(wait) > limit:
        return _error(400, "wait must be whole seconds from 0 to %d, got %r" % (limit, wait[:20]))
    return JSONResponse(await agent.poll(device_id, int(wait)))


async def ack(request):
    device_id, refusal = _authorized(request)
    if refusal:
        return refusal
    data, refusal = await _json(request)
    if refusal:
        return refusal
    reply, problem = _text(data, "reply", 1 << 20, False)
    if problem:
        return _error(400, "reply must be a string or null")
    await request.app.state.agent.ack(device_id, request.path_params["command_id"], reply)
    return JSONResponse({"ok": True})


async def events(request):
    device_id, refusal = _authorized(request)
    if refusal:
        return refusal
    data, refusal = await _json(request)
    if refusal:
        return refusal
    name, problem = _text(data, "name", NAME_MAX, True)
    if problem:
        return _error(400, problem)
    event_id = await request.app.state.agent.event(device_id, name, data.get("data"))
    return JSONResponse({"id": event_id}, 202)


async def alerts(request):
    device_id, refusal = _authorized(request)
    if refusal:
        return refusal
    data, refusal = await _json(request)
    if refusal:
        return refusal
    message, problem = _text(data, "message", MESSAGE_MAX, True)
    key, key_problem = _text(data, "key", KEY_MAX, False)
    if problem or key_problem:
        return _error(400, problem or key_problem)
    answer = await request.app.state.agent.alert(device_id, message, key)
    return JSONResponse(answer, 202)


def routes():
    return [
        Route(PREFIX + "/commands", commands, methods=["GET"]),
        Route(PREFIX + "/commands/{command_id}/ack", ack, methods=["POST"]),
        Route(PREFIX + "/events", events, methods=["POST"]),
        Route(PREFIX + "/alerts", alerts, methods=["POST"]),
    ]
