"""Two agents (separate processes) on one PostgreSQL, with the sandbox as Twilio:
1,000 SMS from phones, alternating between the agents' numbers (each number's
webhook goes to one agent, its fallback URL to the other); devices poll either
agent, one of them on the real MicroPython VM; one agent is killed with SIGKILL
after ~300 commands are stored, and restarted. Then: every inbound SMS is stored as
exactly one command, every command ran exactly once, in the order its device's
queue holds them, every sender got its reply, at most one duplicate SMS per kill,
and nothing is left pending.

A variant stops PostgreSQL for 3 s under a stream of webhooks: they are refused
with 5xx meanwhile (Twilio retries those), never answered 2xx without a commit, and
the agents serve again by themselves when it is back."""

import asyncio
import collections
import threading
import time

import asyncpg
import httpx
import pytest
from agenttest import (
    NUMBER,
    OTHER_NUMBER,
    AgentProcess,
    DeviceClient,
    free_port,
    run_cli,
    sandbox_messages,
    signed,
    sms_params,
    wait_until,
)
from devicevm import result as vm_result
from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

TOTAL = 1000
KILL_AFTER = 300
DEVICES = ["d0", "d1", "d2", "mp"]  # "mp" runs on the MicroPython VM
PHONES = ["+1555010%04d" % i for i in range(10)]
ENV = {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN}

CONFIG = """
[agent]
public_url = "http://127.0.0.1:%(port)d"
port = %(port)d
database = "%(database)s"
routing = "prefix"
reply_deadline = %(deadline)s
acknowledgement = ""
log_level = "warning"

[twilio]
base_url = "%(twilio)s"
number = "%(number)s"
%(devices)s"""
DEVICE = """
[devices.%s]
allow = %s
queue_cap = 5000
"""


@pytest.fixture
def postgres_only(store_kind):
    if store_kind != "postgres":
        pytest.skip("several agents share a PostgreSQL database")


def write_configs(tmp_path, database, twilio_url, deadline):
    devices = "".join(DEVICE % (d, "[%s]" % ", ".join('"%s"' % p for p in PHONES))
                      for d in DEVICES)
    agents = []
    for name in ("a", "b"):
        port = free_port()
        path = tmp_path / ("%s.toml" % name)
        path.write_text(CONFIG % {"port": port, "database": database, "twilio": twilio_url,
                                  "number": NUMBER, "devices": devices, "deadline": deadline})
        agents.append(AgentProcess(path, port, ENV))
    return agents


def point(sandbox, number, url, fallback):
    auth = (sandbox.settings.account_sid, sandbox.settings.auth_token)
    base = "%s/2010-04-01/Accounts/%s/IncomingPhoneNumbers" % (
        sandbox.url, sandbox.settings.account_sid)
    found = httpx.get(base + ".json", params={"PhoneNumber": number}, auth=auth).json()
    sid = found["incoming_phone_numbers"][0]["sid"]
    r = httpx.post("%s/%s.json" % (base, sid), auth=auth,
                   data={"SmsUrl": url + "/twilio/sms", "SmsFallbackUrl": fallback + "/twilio/sms"})
    assert r.status_code == 200, r.text


def query(database, sql, *args):
    async def run():
        conn = await asyncpg.connect(database)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


class Devices:
    """CPython devices, each polling the two agents in turn from its own thread."""

    def __init__(self, urls, tokens, names):
        self.ran = collections.defaultdict(list)  # device -> jobs in the order run
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._serve, args=(urls, tokens[n], n),
                                         daemon=True) for n in names]

    def start(self):
        for thread in self.threads:
            thread.start()

    def _serve(self, urls, token, name):
        clients = [DeviceClient(url, name, token) for url in urls]
        done = {}  # command id -> reply: the device's memory, shared by both links
        turn = 0
        while not self.stop.is_set():
            client = clients[turn % 2]
            turn += 1
            try:
                cmds = client.poll(wait=1)["commands"]
                for cmd in cmds:
                    if cmd["id"] not in done:
                        self.ran[name].append(int(cmd["args"]))
                        done[cmd["id"]] = "done " + cmd["args"]
                    client.ack(cmd["id"], done[cmd["id"]])
            except httpx.HTTPError:
                time.sleep(0.05)  # that agent is down: the other one serves
        for client in clients:
            client.close()


def test_two_agents_one_killed_lose_nothing_and_duplicate_at_most_one_sms(
        postgres_only, database, sandbox, tmp_path):
    a, b = write_configs(tmp_path, database, sandbox.url, deadline=1)
    tokens = {}
    for name in DEVICES:
        added = run_cli("--config", str(a.config_path), "device", "add", name, env=ENV)
        assert added.returncode == 0, added.stderr
        tokens[name] = added.stdout.strip()
    a.start()
    b.start()
    point(sandbox, NUMBER, a.url, b.url)
    point(sandbox, OTHER_NUMBER, b.url, a.url)
    devices = Devices([a.url, b.url], tokens, DEVICES[:-1])
    devices.start()
    expected = collections.defaultdict(list)
    for i in range(TOTAL):
        expected[DEVICES[i % len(DEVICES)]].append(i)
    vm = {}
    vm_thread = threading.Thread(target=lambda: vm.update(vm_result(
        "micropython", "link_two_agents.py",
        {"urls": [a.url, b.url], "device": "mp", "token": tokens["mp"],
         "expect": len(expected["mp"])}, timeout=240)), daemon=True)
    vm_thread.start()
    try:
        texting = threading.Thread(target=_text_all, args=(sandbox,), daemon=True)
        texting.start()
        wait_until(lambda: query(database, "SELECT count(*) FROM commands")[0][0] >= KILL_AFTER,
                   timeout=120, what="~300 commands stored")
        a.kill()
        killed_at = query(database, "SELECT count(*) FROM commands")[0][0]
        a.start()
        texting.join(120)
        wait_until(lambda: query(database, "SELECT count(*) FROM commands")[0][0] >= TOTAL,
                   timeout=120, what="every SMS stored")
        wait_until(lambda: all(len(devices.ran[d]) >= len(expected[d]) for d in DEVICES[:-1]),
                   timeout=120, what="the CPython devices to run every command")
        vm_thread.join(240)
        assert vm, "the MicroPython device did not finish"
        devices.ran["mp"] = vm["ran"]
        wait_until(lambda: not query(database, "SELECT 1 FROM commands WHERE state = 'pending' "
                                               "UNION ALL SELECT 1 FROM messages "
                                               "WHERE state = 'pending'"),
                   timeout=90, what="nothing pending")
    finally:
        devices.stop.set()
        a.stop()
        b.stop()
    assert KILL_AFTER <= killed_at < TOTAL  # the kill came mid-stream
    # Every inbound SMS is exactly one command (MessageSid is unique in the table).
    inbound = [m for m in sandbox_messages(sandbox) if m["direction"] == "inbound"]
    assert len(inbound) == TOTAL
    stored = query(database, "SELECT message_sid, device, device_seq, args FROM commands")
    assert sorted(r["message_sid"] for r in stored) == sorted(m["sid"] for m in inbound)
    # Every command ran exactly once, in its device's queue order.
    for name in DEVICES:
        queue = [int(r["args"]) for r in sorted(stored, key=lambda r: r["device_seq"])
                 if r["device"] == name]
        assert sorted(devices.ran[name]) == expected[name], name
        assert devices.ran[name] == queue, name
    # Every sender got its reply; a duplicate SMS only for a send the kill cut short.
    replies = collections.Counter((m["to"], m["body"]) for m in sandbox_messages(sandbox)
                                  if m["direction"] != "inbound")
    wanted = {(PHONES[i % len(PHONES)], "done %d" % i) for i in range(TOTAL)}
    assert set(replies) == wanted
    assert sum(n - 1 for n in replies.values()) <= 1


def _text_all(sandbox):
    """The phones text, alternating between the two numbers (and so the two agents)."""
    with httpx.Client(timeout=30) as http:
        for i in range(TOTAL):
            r = http.post(sandbox.url + "/sandbox/phone/messages", data={
                "From": PHONES[i % len(PHONES)], "To": (NUMBER, OTHER_NUMBER)[i % 2],
                "Body": "%s: job %d" % (DEVICES[i % len(DEVICES)], i)})
            assert r.status_code == 201, r.text


def test_postgresql_stopped_for_3_s_gives_5xx_never_a_2xx_without_a_commit(
        postgres_only, database, pg, tmp_path):
    a, b = write_configs(tmp_path, database, "http://127.0.0.1:9", deadline=0)
    a.start()
    b.start()
    answered = {}  # MessageSid -> first 2xx status
    refused = collections.Counter()
    stop = threading.Event()

    def fire():
        with httpx.Client(timeout=10) as http:
            i = 0
            while not stop.is_set():
                agent = (a, b)[i % 2]
                params = sms_params("d0: job %d" % i, sender=PHONES[0])
                body, headers = signed(agent.url + "/twilio/sms", params)
                try:
                    r = http.post(agent.url + "/twilio/sms", content=body, headers=headers)
                except httpx.HTTPError:
                    refused["no answer"] += 1
                else:
                    if r.status_code < 300:
                        answered[params["MessageSid"]] = r.status_code
                    else:
                        refused[r.status_code] += 1
                i += 1

    thread = threading.Thread(target=fire, daemon=True)
    try:
        thread.start()
        wait_until(lambda: len(answered) >= 50, what="webhooks answered")
        pg.stop_server()
        time.sleep(3)
        pg.restart()
        before = len(answered)
        wait_until(lambda: len(answered) >= before + 50, timeout=60,
                   what="the agents to serve again by themselves")
    finally:
        stop.set()
        thread.join(30)
        a.stop()
        b.stop()
    assert refused[503] > 0  # refused meanwhile, with a status Twilio retries
    assert set(refused) <= {503, "no answer"}
    stored = {r["message_sid"] for r in query(database, "SELECT message_sid FROM commands")}
    assert set(answered) <= stored  # never a 2xx without its commit
