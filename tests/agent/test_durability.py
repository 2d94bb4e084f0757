"""A command is committed before its webhook is answered: kill -9 the agent in the
middle of a burst of 1,000 signed webhooks, restart it, and every webhook answered
2xx reaches the device exactly once; Twilio's retries of the others add the rest,
and none twice."""

import asyncio
import threading

import httpx
from agenttest import NUMBER, OWNER, AgentProcess, DeviceClient, free_port, run_cli, signed
from agenttest import sms_params as make_params
from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

BURST = 1000
KILL_AFTER = 300  # answered webhooks before the SIGKILL
ENV = {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN}

CONFIG = """
[agent]
public_url = "http://127.0.0.1:%(port)d"
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
queue_cap = 5000
"""


async def _fire(url, webhooks, answered, on_answer):
    """Posts every webhook (16 at a time); `answered` gets the index of each 2xx."""
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        queue = list(enumerate(webhooks))

        async def worker():
            while queue:
                index, (body, headers) = queue.pop(0)
                try:
                    r = await http.post(url, content=body, headers=headers)
                except httpx.HTTPError:
                    continue
                if 200 <= r.status_code < 300:
                    answered.append(index)
                    on_answer(len(answered))

        await asyncio.gather(*(worker() for _ in range(16)))


def drain(device, executed):
    """Polls until the queue is empty; each command id runs (is counted) once."""
    while True:
        cmds = device.serve(lambda cmd: executed.append(cmd["text"]), wait=0)
        if not cmds:
            return


def test_kill_9_mid_burst_loses_no_answered_webhook_and_runs_each_once(tmp_path, store_kind,
                                                                      database):
    port = free_port()
    config = tmp_path / "agent.toml"
    config.write_text(CONFIG % {"port": port, "number": NUMBER, "owner": OWNER, "database":
                                database if store_kind == "postgres" else "agent.db"})
    added = run_cli("--config", str(config), "device", "add", "greenhouse", env=ENV)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()

    agent = AgentProcess(config, port, ENV).start()
    url = agent.url + "/twilio/sms"
    webhooks = [signed(url, make_params("cmd-%04d" % i)) for i in range(BURST)]
    answered = []
    killed = threading.Event()

    def on_answer(count):
        if count >= KILL_AFTER and not killed.is_set():
            killed.set()
            agent.kill()

    try:
        asyncio.run(_fire(url, webhooks, answered, on_answer))
        assert killed.is_set()
        before_kill = set(answered)
        assert KILL_AFTER <= len(before_kill) < BURST  # the kill came mid-burst

        agent.start()
        device = DeviceClient(agent.url, "greenhouse", token)
        executed = []
        drain(device, executed)
        texts = {"cmd-%04d" % i for i in before_kill}
        assert texts <= set(executed), "answered 2xx before the kill, then lost"

        # Twilio retries what was not answered: same MessageSid, same idempotency token.
        retry = [i for i in range(BURST) if i not in before_kill]
        again = []
        asyncio.run(_fire(url, [webhooks[i] for i in retry], again, lambda n: None))
        assert len(again) == len(retry)
        drain(device, executed)
        assert sorted(executed) == sorted("cmd-%04d" % i for i in range(BURST))
        device.close()
    finally:
        agent.stop()
