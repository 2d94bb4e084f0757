"""The agent tells you what is wrong: where it listens and what to paste, why it will
not start, what a refused webhook or device token was, `init`, `device remove`,
`--config` anywhere, `--version` everywhere, and `GET /`."""

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from agenttest import (
    OWNER,
    DeviceClient,
    LiveAgent,
    make_config,
    run_cli,
    sms_params,
    wait_until,
)
from utwilio_agent import logs
from utwilio_agent.config import TEMPLATE

ROOT = Path(__file__).resolve().parents[2]
TOKEN_ENV = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 31 + "1", "TWILIO_AUTH_TOKEN": "t0ken"}


def test_init_writes_the_commented_example_and_never_overwrites(tmp_path):
    config = tmp_path / "agent.toml"
    first = run_cli("init", "--config", str(config))
    assert first.returncode == 0 and "device add greenhouse" in first.stdout
    assert config.read_text() == TEMPLATE == (ROOT / "docs" / "examples" / "agent.toml").read_text()
    again = run_cli("--config", str(config), "init")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_config_after_the_command_version_everywhere_and_device_remove(tmp_path):
    config = str(tmp_path / "agent.toml")
    run_cli("init", "--config", config)
    token = run_cli("device", "add", "greenhouse", "--config", config)
    assert token.returncode == 0, token.stderr
    listed = run_cli("device", "list", "--config", config).stdout
    assert re.match(r"greenhouse +token=yes +configured=yes", listed), listed
    removed = run_cli("device", "remove", "greenhouse", "--config", config)
    assert removed.returncode == 0 and "its token no longer works" in removed.stdout
    assert "token=no " in run_cli("device", "list", "--config", config).stdout
    again = run_cli("device", "remove", "greenhouse", "--config", config)
    assert again.returncode == 2 and "no device 'greenhouse' has a token" in again.stderr
    for args in (["--version"], ["serve", "--version"], ["device", "add", "--version"]):
        out = run_cli(*args)
        assert out.returncode == 0 and out.stdout.strip() == "utwilio-agent 0.1.0", args
    for cli in (["-m", "utwilio_sandbox"], ["-m", "tools.deploy"], ["-m", "tools.vboard"]):
        out = subprocess.run([sys.executable, *cli, "--version"], cwd=ROOT, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0 and re.search(r" \d+\.\d+\.\d+$", out.stdout.strip()), cli


def test_device_remove_stops_the_token_at_a_running_agent(tmp_path, store_kind, database):
    """`device remove` in another process: the running agent (on the same SQLite file,
    or PostgreSQL) learns of it and refuses the device's token from then on."""
    shared = database if store_kind == "postgres" else str(tmp_path / "agent.db")
    config = str(tmp_path / "agent.toml")
    run_cli("init", "--config", config)
    env = {"UTWILIO_AGENT_DATABASE": shared}
    token = run_cli("device", "add", "greenhouse", "--config", config, env=env).stdout.strip()
    with LiveAgent(make_config(database=shared)) as live:
        device = DeviceClient(live.url, "greenhouse", token)
        assert device.poll()["commands"] == []
        removed = run_cli("device", "remove", "greenhouse", "--config", config, env=env)
        assert removed.returncode == 0, removed.stderr
        wait_until(lambda: "greenhouse" not in live.agent.tokens, what="the agent to learn")
        with pytest.raises(httpx.HTTPStatusError) as refused:
            device.poll()
        assert refused.value.response.status_code == 401
        device.close()


def test_a_missing_configuration_says_how_to_make_one(tmp_path):
    out = run_cli("--config", str(tmp_path / "nope.toml"), "device", "list")
    assert out.returncode == 2 and "`utwilio-agent init` writes one" in out.stderr


def test_serve_refuses_to_start_without_the_auth_token_unless_told(tmp_path):
    config = str(tmp_path / "agent.toml")
    run_cli("init", "--config", config)
    env = {"TWILIO_AUTH_TOKEN": "", "TWILIO_ACCOUNT_SID": ""}
    out = run_cli("serve", "--config", config, env=env)
    assert out.returncode == 2
    assert "TWILIO_AUTH_TOKEN is not set" in out.stderr and "--no-twilio" in out.stderr
    assert "Traceback" not in out.stderr


def test_serve_says_where_it_listens_what_to_paste_and_logs_iso_times(tmp_path):
    import httpx

    config = tmp_path / "agent.toml"
    config.write_text(TEMPLATE.replace("port = 8020", "port = 0"))
    proc = subprocess.Popen([sys.executable, "-m", "utwilio_agent", "serve", "--config",
                             str(config)], env=dict(__import__("os").environ, **TOKEN_ENV),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        said = [first] + [proc.stdout.readline() for _ in range(3)]
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+) ", first).group(1)
        home = httpx.get(url + "/", timeout=10)
        assert home.status_code == 200 and 'href="/dashboard"' in home.text
    finally:
        proc.terminate()
        proc.wait(15)
    text = "".join(said)
    assert "Twilio webhook: https://agent.example.com/twilio/sms" in text
    assert "HTTP POST" in text and "device link:    https://agent.example.com " in text
    assert "configuration %s" % config in text
    first_log = json.loads(proc.stderr.read().splitlines()[0])
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", first_log["ts"]), first_log


def _logged(capsys, work):
    logs.setup("info")
    try:
        work()
    finally:
        logs.LOGGER.handlers[:] = []
        logs.LOGGER.propagate = True
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def test_a_signature_mismatch_logs_both_urls_and_the_hint(capsys):
    from agenttest import AppClient, signed
    from utwilio_agent.app import create_app

    config = make_config(public_url="https://agent.example.com")
    with AppClient(create_app(config)) as client:
        def post():  # signed for the URL the agent sees, not the public one
            data, headers = signed("http://testserver/twilio/sms", sms_params("fan on"))
            assert client.http.post("/twilio/sms", content=data,
                                    headers=headers).status_code == 403
        lines = _logged(capsys, post)
    forged = [line for line in lines if line["event"] == "webhook.forged"][0]
    assert forged["url_checked"] == "https://agent.example.com/twilio/sms"
    assert forged["url_requested"] == "http://testserver/twilio/sms"
    assert "public_url" in forged["hint"]
    assert config.auth_token not in json.dumps(lines)


def test_a_wrong_device_token_is_logged_without_the_token(app_client, capsys):
    def poll():
        token = app_client.add_device("greenhouse")
        assert app_client.link("not-" + token, "greenhouse", "GET",
                               "/commands?wait=0").status_code == 401
        assert app_client.link(token, "garage", "GET", "/commands?wait=0").status_code == 403
    lines = _logged(capsys, poll)
    refused = [line for line in lines if line["event"] == "link.refused"]
    assert [(r["device"], r["reason"]) for r in refused] == [
        ("greenhouse", "wrong token, or no such device"), ("garage", "another device's token")]
    assert "not-" not in json.dumps(lines)
    wait_until(lambda: True)
    assert OWNER
