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
