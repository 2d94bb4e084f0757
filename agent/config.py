"""The agent's configuration: a TOML file for everything but the Twilio credentials,
which come from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN so that the file can be shared.

    [agent]
    public_url = "https://agent.example.com"  # the URL Twilio signs (behind a proxy/tunnel)
    database = "utwilio-agent.db"  # SQLite file, or "postgresql://user@host:port/dbname"
                                  #   for several agents on one PostgreSQL
    routing = "number"            # "number": the Twilio number texted names the device;
                                  # "prefix": "greenhouse: fan on"
    reply_deadline = 10           # s the webhook waits for the device's reply (0-14)
    tls_cert = "cert.pem"         # optional: serve HTTPS (with tls_key); else put a
    tls_key = "key.pem"           #   TLS-terminating proxy in front
    acknowledgement = "Sent to {device}."   # "" sends no acknowledgement SMS
    unknown_sender_reply = ""     # "" answers unknown senders with silence

    [twilio]
    number = "+15005550006"       # From for alerts; replies go from the number texted

    [mqtt]                        # optional: devices on a broker too (docs/mqtt.md)
    url = "mqtts://broker.example.com:8883"   # login: UTWILIO_MQTT_USERNAME/_PASSWORD
    ca = "broker-ca.pem"          # the CA of the broker's certificate ("": the system's)
    broker_dir = "mosquitto"      # where `broker-config` writes Mosquitto's files

    [devices.greenhouse]
    numbers = ["+15005550006"]    # routing = "number"
    allow = ["+15551234567"]      # who may command it
    contacts = ["+15551234567"]   # who its alerts go to
"""

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field

DEVICE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")
PHONE = re.compile(r"(whatsapp:)?\+[1-9][0-9]{6,14}\Z")
ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}\Z")
TWILIO_DEADLINE = 15


# What `utwilio-agent init` writes (docs/examples/agent.toml is the same text).
TEMPLATE = '''# utwilio-agent's configuration: `utwilio-agent --config agent.toml serve`.
# Twilio's credentials are not here: they come from the environment
# (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN), so this file can be shared.

[agent]
# The scheme and host Twilio calls, as Twilio sees it: your tunnel's or proxy's https
# URL, without /twilio/sms. Signatures are checked against it.
public_url = "https://agent.example.com"
host = "127.0.0.1"            # where `serve` listens
port = 8020
database = "utwilio-agent.db" # SQLite, relative to this file
reply_deadline = 10           # seconds a webhook waits for the device's answer (0-14)

[twilio]
number = "+15017122661"       # your Twilio number: From for alerts

[devices.greenhouse]          # `utwilio-agent device add greenhouse` issues its token
numbers = ["+15017122661"]    # texts to this number go to this device
allow = ["+15551234567"]      # who may command it (nobody else can)
contacts = ["+15551234567"]   # who its alerts go to
'''


class ConfigError(ValueError):
    """The configuration is wrong; the message says where and how to fix it."""


@dataclass
class Device:
    id: str
    numbers: list = field(default_factory=list)
    allow: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    number: str = ""  # From for this device's alerts ("" = [twilio] number)
    ttl: float = 3600.0
    queue_cap: int = 100
    alerts_per_hour: int = 10
    alert_cooldown: float = 300.0


@dataclass
class Config:
    public_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8020
    database: str = "utwilio-agent.db"
    synchronous: str = "FULL"
    routing: str = "number"
    reply_deadline: float = 10.0
    acknowledgement: str = "Sent to {device}."
    unknown_sender_reply: str = ""
    max_body: int = 65536
    max_wait: int = 60
    offline_after: float = 90.0
    retention_days: float = 30.0
    log_level: str = "info"
    tls_cert: str = ""  # PEM certificate chain and key: the agent serves HTTPS itself
    tls_key: str = ""
    dashboard_password: str = ""
    account_sid: str = ""
    auth_token: str = ""
    shared_key_secret: str = ""  # Twilio SharedKey for HMAC-SHA256 webhook signatures
    twilio_base_url: str = "https://api.twilio.com"
    twilio_number: str = ""
    devices: dict = field(default_factory=dict)
    mqtt_url: str = ""  # [mqtt]: the link over a broker too (agent/mqtt.py)
    mqtt_ca: str = ""  # PEM CA file for an mqtts:// broker ("": the system's)
    mqtt_resend: float = 10.0  # s between publishes of a head not yet acknowledged
    mqtt_broker_dir: str = ""  # where `broker-config` wrote Mosquitto's files
    mqtt_username: str = "utwilio-agent"  # from UTWILIO_MQTT_USERNAME
    mqtt_password: str = ""  # from UTWILIO_MQTT_PASSWORD

    def device_for_number(self, number):
        for device in self.devices.values():
            if number in device.numbers:
                return device
        return None

    def alert_from(self, device):
        return device.number or self.twilio_number


_AGENT_KEYS = {
    "public_url": str, "host": str, "port": int, "database": str, "synchronous": str,
    "routing": str, "reply_deadline": float, "acknowledgement": str,
    "unknown_sender_reply": str, "max_body": int, "max_wait": int,
    "offline_after": float, "retention_days": float, "log_level": str, "tls_cert": str,
    "tls_key": str,
}
_TWILIO_KEYS = {"base_url": str, "number": str}
_MQTT_KEYS = {"url": str, "ca": str, "resend": float, "broker_dir": str}
_DEVICE_KEYS = {
    "numbers": list, "allow": list, "contacts": list, "number": str, "ttl": float,
    "queue_cap": int, "alerts_per_hour": int, "alert_cooldown": float,
}


def _typed(where, key, value, kind):
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ConfigError("%s.%s must be a %s, got %r" % (where, key, kind.__name__, value))
    return value


def _section(where, table, keys):
    if not isinstance(table, dict):
        raise ConfigError("[%s] must be a table" % where)
    unknown = sorted(set(table) - set(keys))
    if unknown:
        raise ConfigError("[%s] has unknown key %r;%s known keys: %s" % (
            where, unknown[0], _did_you_mean(unknown[0], keys), ", ".join(sorted(keys))))
    return {key: _typed(where, key, value, keys[key]) for key, value in table.items()}


def _did_you_mean(name, known):
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return " did you mean %r?" % close[0] if close else ""


def _url(where, value, example):
    """A base URL: scheme and host, no path beyond a prefix, no query."""
    if not re.match(r"https?://", value):
        raise ConfigError("%s must start with https:// (or http://), like %r, got %r"
                          % (where, example, value))
    if not re.match(r"https?://[^/?#\s]+(/[^?#\s]*)?\Z", value):
        raise ConfigError("%s must be a scheme and a host, like %r, got %r"
                          % (where, example, value))


def _phones(where, values):
    for value in values:
        if not isinstance(value, str) or not PHONE.match(value):
            raise ConfigError(
                "%s must hold E.164 numbers like \"+15551234567\", got %r" % (where, value)
            )
    return list(values)


def _device(name, table):
    if not DEVICE_ID.match(name):
        raise ConfigError(
            "device id must be 1-64 letters, digits, '-', '_' or '.' like 'greenhouse-1', "
            "got %r" % name
        )
    where = "devices.%s" % name
    values = _section(where, table, _DEVICE_KEYS)
    for key in ("numbers", "allow", "contacts"):
        if key in values:
            values[key] = _phones("%s.%s" % (where, key), values[key])
    if values.get("number"):
        _phones(where + ".number", [values["number"]])
    device = Device(name, **values)
    if device.ttl <= 0 or device.queue_cap < 1 or device.alerts_per_hour < 0:
        raise ConfigError("%s: ttl must be > 0, queue_cap >= 1, alerts_per_hour >= 0" % where)
    return device


def is_url(database):
    """A postgresql:// URL (several agents on one database), not a SQLite path."""
    return database.startswith(("postgresql://", "postgres://"))


def _check(config):
    if config.routing not in ("number", "prefix"):
        raise ConfigError('agent.routing must be "number" or "prefix", got %r' % config.routing)
    if not 0 <= config.reply_deadline < TWILIO_DEADLINE:
        raise ConfigError(
            "agent.reply_deadline must be from 0 to under Twilio's %d s webhook timeout, got %r"
            % (TWILIO_DEADLINE, config.reply_deadline)
        )
    if config.public_url:
        _url("agent.public_url (the scheme and host Twilio calls)", config.public_url,
             "https://agent.example.com")
        for route in ("/twilio/sms", "/twilio/status", "/link/"):
            if route in config.public_url:
                raise ConfigError(
                    "agent.public_url is the agent's base URL, without %s: the agent adds "
                    "the path; got %r, use %r" % (route.rstrip("/"), config.public_url,
                                                  config.public_url.split(route)[0]))
    _url("twilio.base_url", config.twilio_base_url, "https://api.twilio.com")
    if config.synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise ConfigError('agent.synchronous must be "FULL", "EXTRA" or "NORMAL"')
    if "://" in config.database and not is_url(config.database):
        raise ConfigError("agent.database must be a SQLite file or a URL like "
                          "\"postgresql://user@host:5432/dbname\", got a %r URL"
                          % config.database.split("://")[0])
    if config.retention_days <= 0:
        raise ConfigError("agent.retention_days must be more than 0 (days of history kept)")
    if bool(config.tls_cert) != bool(config.tls_key):
        raise ConfigError("agent.tls_cert and agent.tls_key go together: give both (PEM files) "
                          "to serve HTTPS, or neither")
    if config.twilio_number:
        _phones("twilio.number", [config.twilio_number])
    if config.account_sid and not ACCOUNT_SID.match(config.account_sid):
        raise ConfigError(
            "TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits, got %r" % config.account_sid
        )
    if config.routing == "number":
        owners = {}
        for device in config.devices.values():
            for number in device.numbers:
                if number in owners:
                    raise ConfigError(
                        "%s is the number of both devices %r and %r; with routing = \"number\" "
                        "each number names one device (or use routing = \"prefix\")"
                        % (number, owners[number], device.id)
                    )
                owners[number] = device.id
    return config


def parse(text, environ=None, source="the configuration"):
    """TOML text (and the environment, for credentials) -> Config; `source` names the
    file in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("%s is not valid TOML: %s" % (source, error)) from None
    unknown = sorted(set(data) - {"agent", "twilio", "devices", "mqtt"})
    if unknown:
        raise ConfigError("unknown table [%s] in %s;%s known: [agent], [twilio], [mqtt], "
                          "[devices.NAME]" % (unknown[0], source,
                             _did_you_mean(unknown[0], ("agent", "twilio", "mqtt", "devices"))))
    values = _section("agent", data.get("agent", {}), _AGENT_KEYS)
    twilio = _section("twilio", data.get("twilio", {}), _TWILIO_KEYS)
    devices = data.get("devices", {})
    if not isinstance(devices, dict):
        raise ConfigError("[devices] must hold tables like [devices.greenhouse]")
    config = Config(
        **values,
        twilio_base_url=twilio.get("base_url", Config.twilio_base_url).rstrip("/"),
        twilio_number=twilio.get("number", ""),
        devices={name: _device(name, table) for name, table in devices.items()},
    )
    env = os.environ if environ is None else environ
    config.account_sid = env.get("TWILIO_ACCOUNT_SID", "")
    config.auth_token = env.get("TWILIO_AUTH_TOKEN", "")
    config.shared_key_secret = env.get("TWILIO_SHARED_KEY_SECRET", "")
    config.dashboard_password = env.get("UTWILIO_DASHBOARD_PASSWORD", "")
    config.database = env.get("UTWILIO_AGENT_DATABASE") or config.database
    config.public_url = config.public_url.rstrip("/")
    _mqtt(config, _section("mqtt", data.get("mqtt", {}), _MQTT_KEYS), env)
    return _check(config)


def _mqtt(config, values, env):
    url = values.get("url", "")
    if url and not re.match(r"mqtts?://[^/?#:]+(:[0-9]{1,5})?/?\Z", url):
        raise ConfigError('mqtt.url must be the broker like "mqtts://broker.example.com:8883" '
                          "(credentials come from UTWILIO_MQTT_USERNAME and "
                          "UTWILIO_MQTT_PASSWORD), got %r" % url)
    if values.get("resend", 10.0) <= 0:
        raise ConfigError("mqtt.resend must be more than 0 seconds")
    config.mqtt_url = url
    config.mqtt_ca = values.get("ca", "")
    config.mqtt_resend = values.get("resend", 10.0)
    config.mqtt_broker_dir = values.get("broker_dir", "")
    config.mqtt_username = env.get("UTWILIO_MQTT_USERNAME", "utwilio-agent")
    config.mqtt_password = env.get("UTWILIO_MQTT_PASSWORD", "")


def load(path, environ=None):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as error:
        hint = "; `utwilio-agent init` writes one" if isinstance(error, FileNotFoundError) else ""
        raise ConfigError("cannot read the configuration %s: %s%s"
                          % (path, error.strerror, hint)) from None
    return parse(text, environ, source=str(path))
