"""Accounts, API keys and HTTP Basic authentication."""

import base64
import hmac

from .errors import unauthenticated
from .formats import API_VERSION, rfc2822, utcnow


def account_uri(sid):
    return "/%s/Accounts/%s.json" % (API_VERSION, sid)


def account_json(sid, auth_token, friendly_name, owner_sid, now):
    base = "/%s/Accounts/%s" % (API_VERSION, sid)
    subresources = (
        "addresses",
        "conferences",
        "signing_keys",
        "transcriptions",
        "connect_apps",
        "sip",
        "authorized_connect_apps",
        "usage",
        "keys",
        "applications",
        "recordings",
        "short_codes",
        "calls",
        "notifications",
        "incoming_phone_numbers",
        "queues",
        "messages",
        "outgoing_caller_ids",
        "available_phone_numbers",
        "balance",
    )
    names = {
        "incoming_phone_numbers": "IncomingPhoneNumbers",
        "available_phone_numbers": "AvailablePhoneNumbers",
        "outgoing_caller_ids": "OutgoingCallerIds",
        "short_codes": "ShortCodes",
        "signing_keys": "SigningKeys",
        "connect_apps": "ConnectApps",
        "authorized_connect_apps": "AuthorizedConnectApps",
        "sip": "SIP",
    }
    return {
        "auth_token": auth_token,
        "date_created": rfc2822(now),
        "date_updated": rfc2822(now),
        "friendly_name": friendly_name,
        "owner_account_sid": owner_sid,
        "sid": sid,
        "status": "active",
        "subresource_uris": {
            key: "%s/%s.json" % (base, names.get(key, key.capitalize())) for key in subresources
        },
        "type": "Full",
        "uri": account_uri(sid),
    }


def ensure_account(store, sid, auth_token, friendly_name=None, owner_sid=None):
    """Create the account, or make its token the configured one (a restart may change it)."""
    record = store.get("account", sid)
    if record is None:
        data = account_json(
            sid, auth_token, friendly_name or "Sandbox account", owner_sid or sid, utcnow()
        )
        return store.insert("account", sid, sid, data)
    if record.data["auth_token"] != auth_token:
        record.data["auth_token"] = auth_token
        store.update(record)
    return record


def key_json(sid, friendly_name, now):
    return {
        "sid": sid,
        "friendly_name": friendly_name,
        "date_created": rfc2822(now),
        "date_updated": rfc2822(now),
    }


def ensure_key(store, account_sid, sid, secret, friendly_name="Sandbox key"):
    record = store.get("key", sid)
    if record is None:
        return store.insert(
            "key", sid, account_sid, key_json(sid, friendly_name, utcnow()), {"secret": secret}
        )
    record.private["secret"] = secret
    store.update(record)
    return record


def _credentials(request):
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (username, password) if sep else None


def _same(a, b):
    return hmac.compare_digest(a.encode(), b.encode())


def _holder(store, credentials):
    """The account whose auth token or API key the credentials are, or None."""
    username, password = credentials
    if username.startswith("AC"):
        holder = store.get("account", username)
        if holder is not None and _same(password, holder.data["auth_token"]):
            return holder
    elif username.startswith("SK"):
        key = store.get("key", username)
        if key is not None and _same(password, key.private["secret"]):
            return store.get("account", key.account_sid)
    return None


def authenticate_any(store, request):
    """The account that the request's credentials belong to, or 20003."""
    credentials = _credentials(request)
    holder = _holder(store, credentials) if credentials else None
    if holder is None or holder.data["status"] != "active":
        raise unauthenticated()
    return holder


def authenticate(store, request, account_sid):
    """The Account the request may act on, or 20003: its own account's or its parent's
    credentials (auth token, or an API key of that account) must be given."""
    holder = authenticate_any(store, request)
    account = store.get("account", account_sid)
    if account is None or holder.sid not in (account.sid, account.data["owner_account_sid"]):
        raise unauthenticated()
    if account.data["status"] != "active":
        raise unauthenticated()
    return account
