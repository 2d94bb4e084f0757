"""The board's config.json: Wi-Fi, and Twilio credentials or the agent link's.

    {"wifi": {"ssid": "home", "password": "…"},
     "account_sid": "AC…", "auth_token": "…", "from": "+15550000001", "to": "+1555…",
     "api_key": "SK…", "base_url": "https://api.twilio.com",
     "agent": {"url": "https://agent.example", "device_id": "greenhouse-1", "token": "…"}}

Every key is optional. A top-level account_sid/auth_token is what
utwilio.creds.load("config.json") reads; with api_key, auth_token is that key's
secret. Secrets come from the environment or a JSON file (--config), never from the
command line, where `ps` and shell history would keep them."""

import json
import os

from tools.deploy.errors import DeployError

# The secrets: (path in config.json, environment variable, the setting that asks for it).
SECRETS = ((("wifi", "password"), "UTWILIO_WIFI_PASSWORD", ("wifi", "ssid")),
           (("auth_token",), "TWILIO_AUTH_TOKEN", ("account_sid",)),
           (("agent", "token"), "UTWILIO_AGENT_TOKEN", ("agent", "url")))
API_SECRET = "TWILIO_API_SECRET"  # the auth_token when an api_key is set
# The rest: (option attribute, path in config.json).
SETTINGS = (("wifi_ssid", ("wifi", "ssid")),
            ("account_sid", ("account_sid",)),
            ("api_key", ("api_key",)),
            ("from_", ("from",)),
            ("to", ("to",)),
            ("base_url", ("base_url",)),
            ("agent_url", ("agent", "url")),
            ("device_id", ("agent", "device_id")))
MASK = "********"


def _put(config, path, value):
    for key in path[:-1]:
        config = config.setdefault(key, {})
    config[path[-1]] = value


def _get(config, path):
    for key in path:
        if not isinstance(config, dict) or key not in config:
            return None
        config = config[key]
    return config


def build(options, environ=os.environ):
    """`options`: an object with the attributes named in SETTINGS and `config` (a JSON
    file path or None) -> the config dict (empty when nothing was given), validated.
    The file comes first, then the command line; a secret comes from the environment
    when its section is asked for (TWILIO_AUTH_TOKEN once there is an account_sid)."""
    config = {}
    if getattr(options, "config", None):
        try:
            with open(options.config, encoding="utf-8") as f:
                config = json.load(f)
        except OSError as e:
            raise DeployError("cannot read --config %s: %s"
                              % (options.config, e.strerror)) from None
        except ValueError as e:
            raise DeployError("--config %s is not JSON: %s" % (options.config, e)) from None
        if not isinstance(config, dict):
            raise DeployError("--config %s must hold a JSON object" % options.config)
    for attr, path in SETTINGS:
        if getattr(options, attr, None):
            _put(config, path, getattr(options, attr))
    for path, env, asked_by in SECRETS:
        if path == ("auth_token",) and config.get("api_key"):
            env = API_SECRET
        if _get(config, asked_by) and environ.get(env):
            _put(config, path, environ[env])
    validate(config)
    return config


def validate(config):
    """Clear errors on the host, before anything touches the board."""
    from utwilio import validate as v

    try:
        for section in ("wifi", "agent"):
            if not isinstance(config.get(section, {}), dict):
                raise TypeError("%s must be a JSON object like %s" % (section, {
                    "wifi": '{"ssid": …, "password": …}',
                    "agent": '{"url": …, "device_id": …, "token": …}'}[section]))
        wifi = config.get("wifi")
        if wifi is not None:
            if not wifi.get("ssid"):
                raise ValueError("a Wi-Fi password needs an SSID: --wifi-ssid NAME")
            if "password" not in wifi:
                raise ValueError("Wi-Fi %r has no password: set UTWILIO_WIFI_PASSWORD (empty "
                                 "string in --config for an open network)" % wifi["ssid"])
        twilio = [k for k in ("account_sid", "auth_token", "from", "api_key", "to")
                  if k in config]
        if twilio:
            for key, how in (("account_sid", "--account-sid AC… or TWILIO_ACCOUNT_SID"),
                             ("auth_token", "TWILIO_AUTH_TOKEN (TWILIO_API_SECRET with "
                                            "--api-key)"),
                             ("from", "--from +1… (your Twilio number)")):
                if key not in config:
                    raise ValueError("Twilio settings need %s: %s" % (key, how))
            v.sid("account_sid", config["account_sid"], "AC")
            v.secret("auth_token", config["auth_token"])
            v.sender("from", config["from"])
            if "api_key" in config:
                v.sid("api_key", config["api_key"], "SK")
            if "to" in config:
                v.phone("to", config["to"])
        if "base_url" in config:
            v.base_url(config["base_url"])
        agent = config.get("agent")
        if agent is not None:
            for key, how in (("url", "--agent-url"), ("device_id", "--device-id"),
                             ("token", "UTWILIO_AGENT_TOKEN")):
                if not agent.get(key):
                    raise ValueError("agent settings need %s: %s" % (key, how))
            v.url("agent url", agent["url"])
    except (TypeError, ValueError) as e:
        raise DeployError(mask(str(e), secrets(config))) from None


def secrets(config):
    """-> the secret values in `config` (to mask wherever text is shown)."""
    found = [_get(config, path) for path, _, _ in SECRETS]
    return [s for s in found if isinstance(s, str) and s]


def mask(text, secret_values):
    for s in sorted(secret_values, key=len, reverse=True):
        text = text.replace(s, MASK)
    return text


def masked(config):
    """-> a copy of `config` with every secret replaced by MASK (for --dry-run)."""
    out = json.loads(json.dumps(config))
    for path, _, _ in SECRETS:
        if isinstance(_get(out, path), str) and _get(out, path):
            _put(out, path, MASK)
    return out


def write(config, path):
    """Writes config.json for the board, readable by this user only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        # Raw UTF-8: MicroPython's json does not join \uXXXX surrogate pairs.
        json.dump(config, f, ensure_ascii=False, separators=(",", ":"))
    return path
