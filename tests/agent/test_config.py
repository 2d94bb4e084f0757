"""The TOML configuration: what it accepts, and the errors that say how to fix it."""

import pytest
from utwilio_agent.config import ConfigError, parse

ONE_STORE = True  # never touches a store

EXAMPLE = """
[agent]
public_url = "https://agent.example.com/"
database = "agent.db"
routing = "number"
reply_deadline = 8
acknowledgement = "Got it, {device}."
unknown_sender_reply = "Private number."

[twilio]
number = "+15005550006"

[devices.greenhouse]
numbers = ["+15005550006"]
allow = ["+15551234567", "whatsapp:+15551234568"]
contacts = ["+15551234567"]
ttl = 600
queue_cap = 20
alerts_per_hour = 5
alert_cooldown = 60

[devices.garage-2]
numbers = ["+15017122661"]
"""

ENV = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 31 + "1", "TWILIO_AUTH_TOKEN": "secret",
       "UTWILIO_DASHBOARD_PASSWORD": "pw"}


def test_the_example_configuration():
    config = parse(EXAMPLE, ENV)
    assert config.public_url == "https://agent.example.com"
    assert config.reply_deadline == 8.0 and config.routing == "number"
    assert (config.account_sid, config.auth_token, config.dashboard_password) == (
        "AC" + "0" * 31 + "1", "secret", "pw")
    greenhouse = config.devices["greenhouse"]
    assert greenhouse.allow == ["+15551234567", "whatsapp:+15551234568"]
    assert (greenhouse.ttl, greenhouse.queue_cap, greenhouse.alerts_per_hour,
            greenhouse.alert_cooldown) == (600.0, 20, 5, 60.0)
    assert config.device_for_number("+15017122661").id == "garage-2"
    assert config.alert_from(greenhouse) == "+15005550006"
    assert config.devices["garage-2"].allow == []  # nobody may command it until listed


def test_credentials_come_only_from_the_environment():
    config = parse("", {})
    assert (config.account_sid, config.auth_token) == ("", "")
    with pytest.raises(ConfigError, match="unknown key 'auth_token'"):
        parse('[twilio]\nauth_token = "x"', {})
    assert config.shared_key_secret == ""  # HMAC-SHA256 webhooks refused until it is set
    assert parse("", {"TWILIO_SHARED_KEY_SECRET": "k"}).shared_key_secret == "k"
    with pytest.raises(ConfigError, match="unknown key 'shared_key_secret'"):
        parse('[twilio]\nshared_key_secret = "x"', {})


@pytest.mark.parametrize("text, message", [
    ("[agent\n", "not valid TOML"),
    ("[agnet]\n", r"unknown table \[agnet\]"),
    ('[agent]\nport = "80"', "agent.port must be a int"),
    ('[agent]\nrouting = "sender"', 'routing must be "number" or "prefix"'),
    ("[agent]\nreply_deadline = 15", "under Twilio's 15 s"),
    ('[agent]\npublic_url = "agent.example.com"', "scheme and host"),
    ('[devices.greenhouse]\nallow = ["5551234567"]', r"E\.164 numbers like"),
    ('[devices."green house"]\n', "device id must be"),
    ("[devices.greenhouse]\nqueue_cap = 0", "queue_cap >= 1"),
    ('[agent]\ntls_cert = "cert.pem"', "tls_cert and agent.tls_key go together"),
    ('[devices.a]\nnumbers = ["+15005550006"]\n[devices.b]\nnumbers = ["+15005550006"]',
     "number of both devices 'a' and 'b'"),
    ("[devices.greenhouse]\nfan = 1", "unknown key 'fan'; known keys: alert_cooldown"),
])
def test_mistakes_are_named(text, message):
    with pytest.raises(ConfigError, match=message):
        parse(text, {})


def test_a_bad_account_sid_is_named():
    with pytest.raises(ConfigError, match="TWILIO_ACCOUNT_SID must be AC"):
        parse("", {"TWILIO_ACCOUNT_SID": "nope"})


def test_several_devices_may_share_a_number_with_prefix_routing():
    config = parse('[agent]\nrouting = "prefix"\n[devices.a]\nnumbers = ["+15005550006"]\n'
                   '[devices.b]\nnumbers = ["+15005550006"]', {})
    assert sorted(config.devices) == ["a", "b"]


def test_retention_must_be_positive():
    with pytest.raises(ConfigError, match="retention_days must be more than 0"):
        parse("[agent]\nretention_days = 0", {})


@pytest.mark.parametrize("text, message", [
    ('[agent]\npublic_url = "https://abc.trycloudflare.com/twilio/sms"',
     r"without /twilio/sms: .* use 'https://abc.trycloudflare.com'"),
    ('[agent]\npublic_url = "abc.trycloudflare.com"', "must start with https://"),
    ('[twilio]\nbase_url = "127.0.0.1:8010"', r"twilio.base_url must start with https://"),
    ("[agent]\npublic_ulr = 'https://a.example.com'", "did you mean 'public_url'"),
    ("[devices.greenhouse]\nalow = []", "did you mean 'allow'"),
    ("[twillio]\n", r"unknown table \[twillio\] in the configuration; did you mean 'twilio'"),
])
def test_likely_mistakes_get_the_fix(text, message):
    with pytest.raises(ConfigError, match=message):
        parse(text, {})


def test_toml_errors_name_the_file(tmp_path):
    from utwilio_agent.config import load

    path = tmp_path / "agent.toml"
    path.write_text("[agent\n")
    with pytest.raises(ConfigError, match="%s is not valid TOML" % path):
        load(path, {})
