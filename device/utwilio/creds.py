"""Twilio credentials by name, side by side ("default", "work", "personal"…): the
seeds' multi-account model. `rest.Client(credentials="work")` picks them; only the
credentials differ between accounts, every call is the same."""

from utwilio import validate

_named = {}


def add(name, account_sid, auth_token, api_key=None):
    """Keeps credentials under `name`; with `api_key="SK…"`, `auth_token` is its secret."""
    validate.sid("account_sid", account_sid, "AC")
    validate.secret("auth_token", auth_token)
    if api_key is not None:
        validate.sid("api_key", api_key, "SK")
    _named[name] = (account_sid, auth_token, api_key)


def load(config):
    """Adds the credentials in `config`, a dict or the path of a JSON file (the board's
    config.json): a top-level account_sid and auth_token (and api_key) are "default";
    "accounts": {name: {"account_sid", "auth_token"[, "api_key"]}} adds named ones.
    -> the names known now."""
    if isinstance(config, str):
        import json

        with open(config) as f:
            config = json.load(f)
    if "account_sid" in config:
        _add_entry("default", config)
    accounts = config.get("accounts") or {}
    for name in accounts:
        _add_entry(name, accounts[name])
    return names()


def _add_entry(name, entry):
    try:
        add(name, entry["account_sid"], entry["auth_token"], entry.get("api_key"))
    except KeyError as e:
        raise ValueError("credentials %r need %s" % (name, e.args[0]))


def get(name="default"):
    """-> (account_sid, auth_token, api_key). "default", when not added, comes from the
    environment where there is one (CPython, the unix port): TWILIO_ACCOUNT_SID with
    TWILIO_AUTH_TOKEN, or with TWILIO_API_KEY and TWILIO_API_SECRET."""
    found = _named.get(name)
    if found is None and name == "default":
        found = _from_environment()
    if found is None:
        hint = " or set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" if name == "default" else ""
        raise ValueError(
            "no Twilio credentials named %r: add them with creds.add(%r, 'AC…', auth_token) "
            "or creds.load('config.json')%s (known: %s)"
            % (name, name, hint, ", ".join(names()) or "none"))
    return found


def names():
    return sorted(_named)


def _from_environment():
    try:
        from os import getenv
    except ImportError:  # the boards have no environment
        return None
    sid = getenv("TWILIO_ACCOUNT_SID")
    key, secret = getenv("TWILIO_API_KEY"), getenv("TWILIO_API_SECRET")
    if sid and key and secret:
        return sid, secret, key
    token = getenv("TWILIO_AUTH_TOKEN")
    if sid and token:
        return sid, token, None
    return None
