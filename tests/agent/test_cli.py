"""utwilio-agent's command line: device tokens, commands queued beside a running agent."""

import subprocess
import sys
import threading

import pytest
from agenttest import DeviceClient, LiveAgent, make_config, run_cli, wait_until

CONFIG = """
[agent]
database = "agent.db"

[devices.greenhouse]
numbers = ["+15005550006"]
"""


def write_config(tmp_path, text=CONFIG):
    path = tmp_path / "agent.toml"
    path.write_text(text)
    return str(path)


def test_device_add_prints_the_token_once_and_rotates_only_when_asked(tmp_path):
    config = write_config(tmp_path)
    first = run_cli("--config", config, "device", "add", "greenhouse")
    assert first.returncode == 0, first.stderr
    token = first.stdout.strip()
    assert len(token) >= 40 and "shown once" in first.stderr
    assert (tmp_path / "agent.db").exists()  # relative to the configuration file
    again = run_cli("--config", config, "device", "add", "greenhouse")
    assert again.returncode == 1 and "--rotate" in again.stderr and again.stdout == ""
    rotated = run_cli("--config", config, "device", "add", "greenhouse", "--rotate")
    assert rotated.returncode == 0 and rotated.stdout.strip() != token
    other = run_cli("--config", config, "device", "add", "cellar")
    assert other.returncode == 0 and "add [devices.cellar]" in other.stderr
    listed = run_cli("--config", config, "device", "list")
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("cellar ") and "configured=no" in lines[0]
    assert lines[1].startswith("greenhouse ") and "token=yes" in lines[1]
    assert token not in (tmp_path / "agent.db").read_bytes().decode("latin-1")


def test_bad_names_and_configurations_exit_2_with_the_reason(tmp_path):
    r = run_cli("--config", write_config(tmp_path), "device", "add", "green house")
    assert r.returncode == 2 and "NAME must be 1-64 letters" in r.stderr
    r = run_cli("--config", write_config(tmp_path, "[agent]\nport = 'x'\n"), "device", "list")
    assert r.returncode == 2 and "agent.port must be a int" in r.stderr
    r = run_cli("--config", str(tmp_path / "missing.toml"), "device", "list")
    assert r.returncode == 2 and "cannot read the configuration" in r.stderr
    r = run_cli("--config", write_config(tmp_path), "send", "nosuch", "status")
    assert r.returncode == 2 and "no device 'nosuch'" in r.stderr


def test_send_queues_a_command_that_a_running_agent_delivers_and_waits_for_the_reply(tmp_path):
    config_path = write_config(tmp_path)
    config = make_config(database=str(tmp_path / "agent.db"))
    with LiveAgent(config) as live:
        device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
        got = []
        poll = threading.Thread(target=lambda: got.append(device.poll(30)))
        poll.start()
        wait_until(lambda: "greenhouse" in live.agent._polls, what="the poll to wait")
        sent = subprocess.Popen(
            [sys.executable, "-m", "utwilio_agent", "--config", config_path, "send",
             "greenhouse", "fan", "on", "--wait", "30"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        poll.join(30)
        # Another process stored it; the agent noticed and woke the waiting poll.
        (cmd,) = got[0]["commands"]
        assert (cmd["name"], cmd["args"], cmd["from"]) == ("fan", "on", "cli")
        assert device.ack(cmd["id"], "fan is on").status_code == 200
        out, err = sent.communicate(timeout=30)
        assert sent.returncode == 0, err
        assert out.splitlines() == [cmd["id"], "fan is on"]
        device.close()


def test_serve_speaks_https_with_a_certificate_and_stops_on_sigterm(tmp_path):
    import ssl

    import httpx
    import trustme
    from agenttest import AgentProcess, free_port

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "agent.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    port = free_port()
    config = write_config(tmp_path, CONFIG.replace("[agent]\n", '[agent]\nport = %d\n'
                          'tls_cert = "agent.pem"\ntls_key = "agent.pem"\n' % port))
    token = run_cli("--config", config, "device", "add", "greenhouse").stdout.strip()
    context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    agent = AgentProcess(config, port, env={"TWILIO_AUTH_TOKEN": "t0ken"}, scheme="https",
                         verify=context).start()
    try:
        r = httpx.get(agent.url + "/link/v1/devices/greenhouse/commands?wait=0", verify=context,
                      headers={"Authorization": "Bearer " + token})
        assert r.status_code == 200 and r.json() == {"commands": []}
    finally:
        agent.stop()
    # uvicorn shuts down gracefully, then exits by the signal it caught (-15).
    assert agent.process.returncode in (0, -15)
    assert '"event": "agent.stopped"' in agent.log.read_text()


def test_a_device_added_beside_a_running_agent_can_poll_at_once(tmp_path):
    config_path = write_config(tmp_path)
    with LiveAgent(make_config(database=str(tmp_path / "agent.db"))) as live:
        token = run_cli("--config", config_path, "device", "add", "cellar").stdout.strip()
        device = DeviceClient(live.url, "cellar", token)

        def accepted():
            return device.http.get(device.base + "/commands?wait=0").status_code == 200

        wait_until(accepted, what="the agent to learn the new device's token")
        device.close()


def test_db_copy_moves_a_sqlite_agent_to_postgresql_by_one_line(tmp_path, store_kind, database):
    """A SQLite agent with a device, a waiting command and a finished one; `db copy`
    and the database line changed: the same token polls the PostgreSQL agent and
    gets the waiting command; the history came along."""
    if store_kind != "postgres":
        pytest.skip("the copy goes to PostgreSQL: it runs in the postgres round")
    config = write_config(tmp_path)
    token = run_cli("--config", config, "device", "add", "greenhouse").stdout.strip()
    with LiveAgent(make_config(database=str(tmp_path / "agent.db"))) as live:
        device = DeviceClient(live.url, "greenhouse", token)
        assert run_cli("--config", config, "send", "greenhouse", "fan", "on").returncode == 0
        device.serve(lambda cmd: "fan is on", wait=5)
        device.close()
    assert run_cli("--config", config, "send", "greenhouse", "status").returncode == 0

    env = {"UTWILIO_AGENT_DATABASE": database}
    r = run_cli("--config", config, "db", "copy", "--from", str(tmp_path / "agent.db"), env=env)
    assert r.returncode == 0, r.stderr
    assert "1 devices, 2 commands" in r.stdout
    again = run_cli("--config", config, "db", "copy", "--from", str(tmp_path / "agent.db"),
                    env=env)
    assert again.returncode == 2 and "fills an empty one only" in again.stderr

    with LiveAgent(make_config(database=database)) as live:
        device = DeviceClient(live.url, "greenhouse", token)
        assert [c["text"] for c in device.serve(lambda cmd: "ok", wait=5)] == ["status"]
        history = live.run(live.agent.overview())["commands"]
        assert [(c.text, c.reply) for c in history] == [("status", "ok"), ("fan on", "fan is on")]
        # New commands follow the copied ones in the device's queue.
        assert run_cli("--config", config, "send", "greenhouse", "next", env=env).returncode == 0
        assert [c["text"] for c in device.serve(lambda cmd: None, wait=5)] == ["next"]
        device.close()


def test_db_copy_needs_a_postgresql_database_and_an_existing_file(tmp_path):
    config = write_config(tmp_path)
    r = run_cli("--config", config, "db", "copy", "--from", str(tmp_path / "agent.db"))
    assert r.returncode == 2 and "postgresql:// URL" in r.stderr
    r = run_cli("--config", config, "db", "copy", "--from", str(tmp_path / "none.db"),
                env={"UTWILIO_AGENT_DATABASE": "postgresql://u@127.0.0.1:1/x"})
    assert r.returncode == 2 and "no SQLite database" in r.stderr


def test_an_unreachable_database_is_a_clear_error(tmp_path):
    r = run_cli("--config", write_config(tmp_path), "device", "list",
                env={"UTWILIO_AGENT_DATABASE": "postgresql://u@127.0.0.1:1/x"})
    assert r.returncode == 2 and "the database is unreachable" in r.stderr
