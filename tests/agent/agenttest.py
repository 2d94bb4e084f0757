"""Helpers for the agent's tests: configurations, the app in-process (no sockets), the
agent on a loopback socket (in a thread, or as a process that can be killed), a small
CPython device client, and webhooks signed as Twilio signs them (with the device
package's own signature code)."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlencode

import httpx
from utwilio import signature
from utwilio_agent.app import create_app
from utwilio_agent.config import Config, Device
from utwilio_sandbox.server import ServerThread
from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's notice about httpx
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
NUMBER = "+15005550006"  # a sandbox number: greenhouse's
OTHER_NUMBER = "+15017122661"  # the other sandbox number: garage's
OWNER = "+15551234567"  # may command both devices
STRANGER = "+15557654321"
DATABASE = ":memory:"  # the store of this test (conftest.py: SQLite or a PostgreSQL URL)


def make_config(**agent):
    """Two devices, `greenhouse` on NUMBER and `garage` on OTHER_NUMBER, both commanded
    by OWNER; the sandbox's credentials. Keyword arguments override Config fields."""
    values = dict(
        database=DATABASE,
        account_sid=DEFAULT_ACCOUNT_SID,
        auth_token=DEFAULT_AUTH_TOKEN,
        twilio_number=NUMBER,
        twilio_base_url="http://127.0.0.1:9",  # refused: tests that send use the sandbox
        reply_deadline=0.0,
        devices={
            "greenhouse": Device("greenhouse", numbers=[NUMBER], allow=[OWNER], contacts=[OWNER]),
            "garage": Device("garage", numbers=[OTHER_NUMBER], allow=[OWNER], contacts=[OWNER]),
        },
    )
    values.update(agent)
    return Config(**values)


class Clock:
    """Unix time the test moves: `clock.now += 3600`."""

    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


def sms_params(body, sender=OWNER, to=NUMBER, sid=None, **extra):
    """Twilio's inbound-SMS webhook parameters."""
    sid = sid or "SM" + os.urandom(16).hex()
    params = {
        "ToCountry": "US", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid,
        "SmsStatus": "received", "Body": body, "To": to, "NumSegments": "1",
        "MessageSid": sid, "AccountSid": DEFAULT_ACCOUNT_SID, "From": sender,
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


def signed(url, params, token=DEFAULT_AUTH_TOKEN, idempotency=None):
    """(body, headers) of a webhook to `url` as Twilio signs it."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature.compute(token, url, params),
        "I-Twilio-Idempotency-Token": idempotency or os.urandom(16).hex(),
    }
    return urlencode(params).encode(), headers


class AppClient:
    """The app without sockets (Starlette's TestClient), with helpers to post signed
    webhooks and to add devices."""

    def __init__(self, app, base="http://testserver"):
        self.app = app
        self.agent = app.state.agent
        self.base = base
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.http = TestClient(app, base_url=base)

    def __enter__(self):
        self.http.__enter__()
        return self

    def __exit__(self, *exc):
        self.http.__exit__(*exc)

    def run(self, coroutine):
        """Runs a coroutine on the app's event loop (the store lives there)."""
        return self.http.portal.call(lambda: coroutine)

    def add_device(self, name):
        return self.run(self.agent.add_device(name))[0]

    def sms(self, body, path="/twilio/sms", **kw):
        params = sms_params(body, **kw)
        data, headers = signed(self.base + path, params)
        return self.http.post(path, content=data, headers=headers)

    def link(self, token, device, method, path, **kw):
        headers = {"Authorization": "Bearer " + token}
        return self.http.request(method, "/link/v1/devices/%s%s" % (device, path),
                                 headers=headers, **kw)


class DeviceClient:
    """A device on the link, in plain CPython (httpx): poll, ack, events, alerts."""

    def __init__(self, base_url, device, token):
        self.base = "%s/link/v1/devices/%s" % (base_url, device)
        self.http = httpx.Client(headers={"Authorization": "Bearer " + token}, timeout=70)
        self.ran = {}  # command id -> reply, the device's dedupe memory

    def poll(self, wait=0):
        r = self.http.get(self.base + "/commands", params={"wait": wait})
        r.raise_for_status()
        return r.json()

    def ack(self, command_id, reply=None):
        return self.http.post(self.base + "/commands/%s/ack" % command_id, json={"reply": reply})

    def serve(self, handler, wait=5):
        """One poll; each new command runs `handler(cmd)` once; all are acked."""
        cmds = self.poll(wait)["commands"]
        for cmd in cmds:
            if cmd["id"] not in self.ran:
                self.ran[cmd["id"]] = handler(cmd)
            assert self.ack(cmd["id"], self.ran[cmd["id"]]).status_code == 200
        return cmds

    def close(self):
        self.http.close()


class LiveAgent:
    """The agent (uvicorn, in a thread of this process) on a free loopback port."""

    def __init__(self, config):
        self.config = config
        self.app = create_app(config)
        self.agent = self.app.state.agent
        self.server = ServerThread(self.app)

    def __enter__(self):
        self.server.start()
        self.url = self.server.url
        self.config.public_url = self.url
        return self

    def __exit__(self, *exc):
        self.server.stop()

    def run(self, coroutine):
        """Runs a coroutine on the server's event loop (the store lives there)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.agent.loop).result(30)

    def add_device(self, name):
        return self.run(self.agent.add_device(name))[0]


def wait_until(predicate, timeout=20, what="the condition"):
    """Waits for a background effect; fails only if it never happens (no timing check)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting for %s" % what)
        time.sleep(0.02)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AgentProcess:
    """`utwilio-agent serve` as a child process (it can be killed with SIGKILL)."""

    def __init__(self, config_path, port, env=None, scheme="http", verify=True):
        self.config_path = Path(config_path)
        self.log = self.config_path.with_suffix(".log")
        self.port = port
        self.url = "%s://127.0.0.1:%d" % (scheme, port)
        self.verify = verify
        self.env = dict(os.environ, **(env or {}))
        self.process = None

    def start(self):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "utwilio_agent", "--config", str(self.config_path),
                 "serve"],
                env=self.env, stdout=subprocess.DEVNULL, stderr=log,
            )
        wait_until(self._ready, what="the agent to start")
        return self

    def _ready(self):
        if self.process.poll() is not None:
            raise AssertionError("the agent exited: %s" % self.log.read_text()[-2000:])
        try:
            return httpx.get(self.url + "/healthz", timeout=1,
                             verify=self.verify).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "utwilio_agent", *args],
        env=dict(os.environ, **(env or {})), capture_output=True, text=True, timeout=60,
    )


def point_number(sandbox, number, sms_url):
    """Sets the sandbox number's SmsUrl (as a user does in Twilio's console)."""
    auth = (sandbox.settings.account_sid, sandbox.settings.auth_token)
    base = "%s/2010-04-01/Accounts/%s/IncomingPhoneNumbers" % (
        sandbox.url, sandbox.settings.account_sid)
    found = httpx.get(base + ".json", params={"PhoneNumber": number}, auth=auth).json()
    sid = found["incoming_phone_numbers"][0]["sid"]
    r = httpx.post("%s/%s.json" % (base, sid), data={"SmsUrl": sms_url}, auth=auth)
    assert r.status_code == 200, r.text


def phone_texts(sandbox, sender, to, body):
    """A phone texts a sandbox number: the sandbox calls the number's SmsUrl."""
    r = httpx.post(sandbox.url + "/sandbox/phone/messages",
                   data={"From": sender, "To": to, "Body": body})
    assert r.status_code == 201, r.text


def sandbox_messages(sandbox, to=None):
    """Every message the sandbox holds (oldest first), optionally only those to `to`."""
    found = httpx.get(sandbox.url + "/sandbox/messages").json()
    found = found["messages"] if isinstance(found, dict) else found
    return [m for m in found if to is None or m["to"] == to]


def post_sms(agent_url, body, **kw):
    """A signed inbound-SMS webhook straight to a live agent (no sandbox)."""
    data, headers = signed(agent_url + "/twilio/sms", sms_params(body, **kw))
    return httpx.post(agent_url + "/twilio/sms", content=data, headers=headers)
