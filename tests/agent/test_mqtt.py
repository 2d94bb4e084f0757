"""[mqtt] in the configuration and `utwilio-agent broker-config`: the files it writes,
and a real Mosquitto that runs on them, where `device add` gives a device its login
without a broker restart."""

import os
import signal
import socket
import subprocess
import time

import pytest
from agenttest import run_cli
from utwilio_agent import broker
from utwilio_agent.config import ConfigError, parse

CONFIG = """
[agent]
database = "agent.db"

[mqtt]
url = "mqtt://127.0.0.1:%d"
broker_dir = "mosquitto"
"""
ENV = {"UTWILIO_MQTT_PASSWORD": "agent-secret"}


def test_mqtt_settings_are_read_and_credentials_come_from_the_environment():
    config = parse('[mqtt]\nurl = "mqtts://broker.example.com:8883"\nresend = 5\n',
                   {"UTWILIO_MQTT_USERNAME": "agent-2", "UTWILIO_MQTT_PASSWORD": "pw"})
    assert (config.mqtt_url, config.mqtt_resend) == ("mqtts://broker.example.com:8883", 5.0)
    assert (config.mqtt_username, config.mqtt_password) == ("agent-2", "pw")
    assert parse("", {}).mqtt_url == "" and parse("", {}).mqtt_username == "utwilio-agent"


@pytest.mark.parametrize("text, message", [
    ('[mqtt]\nurl = "http://broker"\n', "mqtt.url must be the broker like"),
    ('[mqtt]\nurl = "mqtt://user:pw@broker"\n', "credentials come from UTWILIO_MQTT_USERNAME"),
    ('[mqtt]\nresend = 0\n', "mqtt.resend must be more than 0"),
    ('[mqtt]\nhost = "x"\n', "[mqtt] has unknown key 'host'; known keys: broker_dir, ca, resend"),
])
def test_bad_mqtt_settings_say_what_to_fix(text, message):
    with pytest.raises(ConfigError) as e:
        parse(text, {})
    assert message in str(e.value)


def test_password_hashes_are_mosquittos_pbkdf2_sha512():
    line = broker.password_hash("token-1", salt=b"0123456789ab")
    assert line.startswith("$7$101$MDEyMzQ1Njc4OWFi$") and "token-1" not in line
    assert broker.password_hash("token-1") != broker.password_hash("token-1")  # salted


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _login(port, user, password):
    """-> Mosquitto's CONNACK code for an MQTT 3.1.1 login (0: accepted)."""
    import paho.mqtt.client as mqtt

    codes = []
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=user)
    c.username_pw_set(user, password)
    c.on_connect = lambda cl, u, flags, rc, props: codes.append(rc.value)
    c.connect("127.0.0.1", port)
    deadline = time.monotonic() + 10
    while not codes and time.monotonic() < deadline:
        c.loop(0.1)
    c.disconnect()
    return codes[0]


def test_broker_config_runs_mosquitto_and_device_add_takes_effect_without_restart(tmp_path):
    from mosquitto import MOSQUITTO

    port = _free_port()
    path = tmp_path / "agent.toml"
    path.write_text(CONFIG % port)
    early = run_cli("--config", str(path), "device", "add", "early", env=ENV)
    assert early.returncode == 0
    r = run_cli("--config", str(path), "broker-config", env=ENV)
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "mosquitto"
    assert sorted(p.name for p in folder.iterdir()) == ["acl", "mosquitto.conf", "passwd"]
    assert "run: mosquitto -c %s" % (folder / "mosquitto.conf") in r.stdout
    # Its token was issued before the broker files existed: the agent kept only a hash.
    assert "no broker login yet for early" in r.stderr and "--rotate" in r.stderr
    passwd = (folder / "passwd").read_text()
    assert passwd.startswith("utwilio-agent:$7$101$") and "agent-secret" not in passwd
    assert oct(os.stat(folder / "passwd").st_mode & 0o777) == "0o600"
    conf = (folder / "mosquitto.conf").read_text()
    assert "listener %d 127.0.0.1" % port in conf and "allow_anonymous false" in conf
    if os.geteuid() == 0:  # as root, Mosquitto would drop to user "mosquitto"
        (folder / "mosquitto.conf").write_text(conf + "user root\n")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(folder / "mosquitto.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not (folder / "mosquitto.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        assert _login(port, "utwilio-agent", "agent-secret") == 0
        assert _login(port, "utwilio-agent", "wrong") != 0
        assert _login(port, "greenhouse", "anything") != 0
        added = run_cli("--config", str(path), "device", "add", "greenhouse", env=ENV)
        token = added.stdout.strip()
        time.sleep(0.5)  # SIGHUP: the broker re-reads its password file
        assert proc.poll() is None
        assert _login(port, "greenhouse", token) == 0
        assert _login(port, "greenhouse", token + "x") != 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def test_broker_config_refuses_without_what_it_needs(tmp_path):
    path = tmp_path / "agent.toml"
    path.write_text(CONFIG % 8883)
    r = run_cli("--config", str(path), "broker-config")
    assert r.returncode == 2 and "set UTWILIO_MQTT_PASSWORD" in r.stderr
    path.write_text(CONFIG.replace("mqtt:", "mqtts:") % 8883)
    r = run_cli("--config", str(path), "broker-config", env=ENV)
    assert r.returncode == 2 and "--certfile cert.pem --keyfile key.pem" in r.stderr
    path.write_text("[agent]\ndatabase = \"agent.db\"\n")
    r = run_cli("--config", str(path), "broker-config", str(tmp_path / "b"), env=ENV)
    assert r.returncode == 2 and "needs [mqtt] url" in r.stderr
