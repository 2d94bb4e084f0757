"""docs/scaling.md's HAProxy configuration, as written there (only its ports changed),
in front of two agent processes on one PostgreSQL: webhooks signed for the balancer's
URL are accepted through it, a device polls through it, and when one agent is killed
the other takes every request: nothing lost, nothing run twice."""

import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from agenttest import (
    NUMBER,
    OWNER,
    AgentProcess,
    DeviceClient,
    free_port,
    run_cli,
    signed,
    sms_params,
    wait_until,
)
from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

ROOT = Path(__file__).resolve().parents[2]
ENV = {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN}
CONFIG = """
[agent]
public_url = "%(public)s"
port = %(port)d
database = "%(database)s"
reply_deadline = 0
log_level = "warning"

[twilio]
base_url = "http://127.0.0.1:9"
number = "%(number)s"

[devices.greenhouse]
numbers = ["%(number)s"]
allow = ["%(owner)s"]
"""


def documented_haproxy_config():
    text = (ROOT / "docs" / "scaling.md").read_text()
    (block,) = re.findall(r"```haproxy\n(.*?)```", text, re.S)
    return block


class HAProxy:
    def __init__(self, config, folder):
        self.path = Path(folder) / "haproxy.cfg"
        self.path.write_text(config)
        self.process = None

    def __enter__(self):
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        check = subprocess.run([haproxy, "-c", "-f", str(self.path)], capture_output=True,
                               text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        self.process = subprocess.Popen([haproxy, "-db", "-f", str(self.path)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(10)


def post(url, i):
    body, headers = signed(url, sms_params("job %d" % i))
    return httpx.post(url, content=body, headers=headers, timeout=20)


def test_two_agents_behind_the_documented_haproxy_survive_one_killed(store_kind, database,
                                                                     tmp_path):
    if store_kind != "postgres":
        pytest.skip("several agents share a PostgreSQL database")
    front, ports = free_port(), [free_port(), free_port()]
    public = "http://127.0.0.1:%d" % front
    config = documented_haproxy_config()
    config = config.replace("127.0.0.1:8020", "127.0.0.1:%d" % front)
    config = config.replace("127.0.0.1:8021", "127.0.0.1:%d" % ports[0])
    config = config.replace("127.0.0.1:8022", "127.0.0.1:%d" % ports[1])
    agents = []
    for i, port in enumerate(ports):
        path = tmp_path / ("agent%d.toml" % i)
        path.write_text(CONFIG % {"public": public, "port": port, "database": database,
                                  "number": NUMBER, "owner": OWNER})
        agents.append(AgentProcess(path, port, ENV))
    token = run_cli("--config", str(agents[0].config_path), "device", "add", "greenhouse",
                    env=ENV).stdout.strip()
    for agent in agents:
        agent.start()
    url = public + "/twilio/sms"
    try:
        with HAProxy(config, tmp_path):
            wait_until(lambda: _up(public), what="HAProxy to see the agents")
            assert [post(url, i).status_code for i in range(10)] == [200] * 10
            agents[0].kill()
            # Refused connections are retried on the other agent: no webhook fails.
            assert [post(url, i).status_code for i in range(10, 30)] == [200] * 20
            device = DeviceClient(public, "greenhouse", token)
            ran = []
            while len(ran) < 30:
                cmds = device.serve(lambda cmd: ran.append(cmd["text"]), wait=2)
                assert cmds or len(ran) == 30, "commands missing: %r" % ran
            assert sorted(ran) == sorted("job %d" % i for i in range(30))
            device.close()
    finally:
        for agent in agents:
            agent.stop()


def _up(public):
    try:
        return httpx.get(public + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        time.sleep(0.1)
        return False
