"""Accounts (and subaccounts), API Keys and NTS Tokens under /2010-04-01/Accounts."""

import base64
import secrets

from starlette.routing import Route

from .accounts import account_json, key_json
from .endpoints import api, api_any, json, no_content, owned
from .errors import TwilioError, unauthenticated
from .formats import API_VERSION, from_timestamp, new_sid, rfc2822
from .paging import paginate

ACCOUNT = "/2010-04-01/Accounts/{account_sid}"
STATUSES = ("active", "suspended", "closed")


@api_any
async def _accounts(sandbox, request, holder, params):
    store = sandbox.store
    if request.method == "POST":
        if holder.data["owner_account_sid"] != holder.sid:
            raise TwilioError(20005, "A subaccount cannot create subaccounts", 403)
        sid, token = new_sid("AC"), secrets.token_hex(16)
        name = params.get("FriendlyName") or "SubAccount Created at %s" % rfc2822(
            from_timestamp(sandbox.scheduler.now())
        )
        data = account_json(sid, token, name, holder.sid, from_timestamp(sandbox.scheduler.now()))
        return json(store.insert("account", sid, sid, data).data, 201)
    records = [
        r
        for r in store.all("account")
        if r.sid == holder.sid or r.data["owner_account_sid"] == holder.sid
    ]
    for name, field in (("FriendlyName", "friendly_name"), ("Status", "status")):
        if params.get(name):
            records = [r for r in records if r.data[field] == params[name]]
    return json(paginate(params, records, request.url.path, "accounts", lambda r: r.data))


@api_any
async def _account(sandbox, request, holder, params):
    record = sandbox.store.get("account", request.path_params["account_sid"])
    if record is None or holder.sid not in (record.sid, record.data["owner_account_sid"]):
        raise unauthenticated()
    if request.method == "POST":
        if params.get("Status"):
            if params["Status"] not in STATUSES:
                raise TwilioError(20001, "Status must be one of %s" % ", ".join(STATUSES))
            if record.sid == holder.sid and params["Status"] != "active":
                raise TwilioError(20005, "An account cannot suspend or close itself", 403)
            record.data["status"] = params["Status"]
        if params.get("FriendlyName"):
            record.data["friendly_name"] = params["FriendlyName"]
        record.data["date_updated"] = rfc2822(from_timestamp(sandbox.scheduler.now()))
        sandbox.store.update(record)
    return json(record.data)


@api
async def _keys(sandbox, request, account, params):
    if request.method == "POST":
        sid, secret = new_sid("SK"), secrets.token_urlsafe(24)[:32]
        data = key_json(
            sid, params.get("FriendlyName") or "", from_timestamp(sandbox.scheduler.now())
        )
        sandbox.store.insert("key", sid, account.sid, data, {"secret": secret})
        return json(dict(data, secret=secret), 201)
    records = sandbox.store.all("key", account.sid)
    return json(paginate(params, records, request.url.path, "keys", lambda r: r.data))


@api
async def _key(sandbox, request, account, params):
    record = owned(sandbox.store, "key", request.path_params["sid"], account, request.url.path)
    if request.method == "DELETE":
        sandbox.store.delete("key", record.sid)
        return no_content()
    if request.method == "POST" and params.get("FriendlyName") is not None:
        record.data["friendly_name"] = params["FriendlyName"]
        record.data["date_updated"] = rfc2822(from_timestamp(sandbox.scheduler.now()))
        sandbox.store.update(record)
    return json(record.data)


@api
async def _tokens(sandbox, request, account, params):
    """A Network Traversal Service token: STUN/TURN servers and short-lived credentials."""
    ttl = params.get("Ttl") or "86400"
    if not ttl.isdigit() or not 0 < int(ttl) <= 86400:
        raise TwilioError(20001, "Ttl must be 1 to 86400 seconds, got %r" % ttl)
    username = secrets.token_hex(32)
    password = base64.b64encode(secrets.token_bytes(32)).decode()
    now = rfc2822(from_timestamp(sandbox.scheduler.now()))
    servers = [
        {"url": "stun:global.stun.twilio.com:3478", "urls": "stun:global.stun.twilio.com:3478"}
    ]
    for suffix in ("3478?transport=udp", "3478?transport=tcp", "443?transport=tcp"):
        url = "turn:global.turn.twilio.com:" + suffix
        servers.append({"url": url, "urls": url, "username": username, "credential": password})
    return json(
        {
            "account_sid": account.sid,
            "date_created": now,
            "date_updated": now,
            "ice_servers": servers,
            "password": password,
            "ttl": ttl,
            "username": username,
        },
        201,
    )


def routes():
    base = "/%s/Accounts" % API_VERSION
    return [
        Route(base + ".json", _accounts, methods=["GET", "POST"]),
        Route(ACCOUNT + ".json", _account, methods=["GET", "POST"]),
        Route(ACCOUNT + "/Keys.json", _keys, methods=["GET", "POST"]),
        Route(ACCOUNT + "/Keys/{sid}.json", _key, methods=["GET", "POST", "DELETE"]),
        Route(ACCOUNT + "/Tokens.json", _tokens, methods=["POST"]),
    ]
