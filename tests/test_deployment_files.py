"""The example files for running the agent for real (docs/examples): the systemd unit
is accepted by systemd, and the container file's commands work as written (there is no
container engine here: its sources, the package it installs and its command are checked)."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"
BIN = Path(sys.executable).parent
ENV = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 31 + "1", "TWILIO_AUTH_TOKEN": "t0ken"}


def test_the_example_configurations_load():
    from utwilio_agent.config import load

    config = load(EXAMPLES / "agent.toml", ENV)
    assert config.public_url == "https://agent.example.com" and "greenhouse" in config.devices
    sys.path.insert(0, str(ROOT))
    from tools.deploy import config as board_config

    settings = json.loads((EXAMPLES / "config.json").read_text())
    board_config.validate(settings)  # raises DeployError naming the field
    assert settings["from"] == "+15017122661" and settings["agent"]["device_id"] == "greenhouse"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_unit(tmp_path):
    unit = (EXAMPLES / "utwilio-agent.service").read_text()
    command = re.search(r"^ExecStart=(\S+) (.*)$", unit, re.M)
    assert command.group(1) == "/opt/utwilio/bin/utwilio-agent"
    # here the agent lives in this repository's venv, and the user is whoever runs the test
    local = unit.replace(command.group(1), str(BIN / "utwilio-agent")).replace(
        "User=utwilio", "User=%s" % __import__("pwd").getpwuid(os.getuid()).pw_name)
    (tmp_path / "utwilio-agent.service").write_text(local)
    proc = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "utwilio-agent.service")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr
    args = shlex.split(command.group(2))
    assert args[0] == "serve" and args[1] == "--config"


def _instructions():
    lines = [line for line in (EXAMPLES / "Containerfile").read_text().splitlines()
             if line and not line.startswith("#")]
    return [(line.split(None, 1)[0], line.split(None, 1)[1]) for line in lines]


def test_the_container_file_copies_what_the_package_needs():
    copied = [args.split()[:-1] for op, args in _instructions() if op == "COPY"]
    sources = {source for sources in copied for source in sources}
    assert all((ROOT / s).exists() for s in sources), sources
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    needed = set(project["tool"]["setuptools"]["package-dir"].values())
    needed |= {project["project"]["readme"], "pyproject.toml", "LICENSE"}
    assert needed <= sources, needed - sources
    runs = [args for op, args in _instructions() if op == "RUN"]
    assert any("pip install --no-cache-dir ." in run for run in runs)


def test_the_container_command_serves_with_the_environment_it_sets(tmp_path):
    env = dict(os.environ, **ENV)
    for op, args in _instructions():
        if op == "ENV":
            name, value = args.split("=", 1)
            env[name] = value.replace("/data", str(tmp_path))
    exposed = int(dict(_instructions())["EXPOSE"])
    command = json.loads(dict(_instructions())["CMD"])
    config = (EXAMPLES / "agent.toml").read_text()
    assert "port = %d" % exposed in config
    Path(env["UTWILIO_AGENT_CONFIG"]).write_text(config.replace("port = %d" % exposed,
                                                                "port = 0"))
    proc = subprocess.Popen([str(BIN / command[0])] + command[1:], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
    finally:
        proc.terminate()
        proc.wait(15)
    assert re.match(r"utwilio-agent \S+ listening on http://0\.0\.0\.0:\d+ ", line), (
        line + proc.stderr.read())
    assert (tmp_path / "utwilio-agent.db").exists()
