"""The operator's page: devices and their presence, queues, recent commands, messages
and their delivery status, device events. Server-rendered, refreshes itself.

Behind HTTP Basic auth with the password in UTWILIO_DASHBOARD_PASSWORD (any user
name); without that variable the page is off."""

import base64
import binascii
import hmac
import time
from html import escape

from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

STYLE = """
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin-bottom:2em;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.online{color:#080}.offline{color:#a00}.failed{color:#a00}
td.text{max-width:28em;overflow-wrap:anywhere}
"""


def _allowed(request, password):
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        _, _, given = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(given.encode(), password.encode())


def _when(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) if t else "never"


def _table(title, headers, rows):
    head = "".join("<th>%s</th>" % escape(h) for h in headers)
    body = "".join(
        "<tr>%s</tr>" % "".join(
            '<td class="%s">%s</td>' % (cls, escape("" if value is None else str(value)))
            for cls, value in row
        )
        for row in rows
    )
    if not rows:
        body = '<tr><td colspan="%d">none yet</td></tr>' % len(headers)
    return "<h2>%s</h2><table><tr>%s</tr>%s</table>" % (escape(title), head, body)


def render(data):
    devices = _table(
        "Devices",
        ["device", "presence", "last seen (UTC)", "queued commands", "token", "configured"],
        [
            [
                ("", d["id"]),
                ("online" if d["online"] else "offline", "online" if d["online"] else "offline"),
                ("", _when(d["last_seen"])),
                ("", d["queued"]),
                ("", "issued" if d["has_token"] else "none: utwilio-agent device add %s" % d["id"]),
                ("", "yes" if d["configured"] else "no"),
            ]
            for d in data["devices"]
        ],
    )
    commands = _table(
        "Recent commands",
        ["accepted (UTC)", "device", "from", "command", "state", "deliveries", "reply", "via"],
        [
            [
                ("", _when(c.created)), ("", c.device), ("", c.sender), ("text", c.text),
                ("", c.state), ("", c.deliveries), ("text", c.reply), ("", c.reply_route),
            ]
            for c in data["commands"]
        ],
    )
    messages = _table(
        "Recent messages sent",
        ["created (UTC)", "device", "kind", "to", "text", "state", "Twilio status", "error"],
        [
            [
                ("", _when(m.created)), ("", m.device), ("", m.kind), ("", m.to),
                ("text", m.body), ("failed" if m.state == "failed" else "", m.state),
                ("", m.status or ""),
                ("failed" if m.error_code else "",
                 "%s %s" % (m.error_code or "", m.error or "") if m.error_code or m.error else ""),
            ]
            for m in data["messages"]
        ],
    )
    events = _table(
        "Recent device events",
        ["at (UTC)", "device", "name", "data"],
        [
            [("", _when(e["created"])), ("", e["device"]), ("", e["name"]),
             ("text", e["data"])]
            for e in data["events"]
        ],
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="10"><title>utwilio agent</title>'
        "<style>%s</style></head><body><h1>utwilio agent</h1>%s%s%s%s</body></html>"
        % (STYLE, devices, commands, messages, events)
    )


async def page(request):
    agent = request.app.state.agent
    password = agent.config.dashboard_password
    if not password:
        return JSONResponse(
            {"error": "the dashboard is off: set UTWILIO_DASHBOARD_PASSWORD to turn it on"}, 404)
    if not _allowed(request, password):
        return Response("the dashboard needs the password in UTWILIO_DASHBOARD_PASSWORD", 401,
                        headers={"WWW-Authenticate": 'Basic realm="utwilio agent"'})
    return HTMLResponse(render(await agent.overview()))


def routes():
    return [Route("/dashboard", page, methods=["GET"])]
