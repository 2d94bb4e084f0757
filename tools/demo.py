"""`make demo`: the whole story on this machine. A local Twilio sandbox (HTTPS, with a
CA made for this run), the agent (`utwilio-agent serve`) and a virtual board (the
MicroPython VM behind a serial pty) flashed by the deploy tool. The board texts a
temperature alert; the phone texts "led on" and "status"; the board answers through
the agent and the replies reach the phone.

    .venv/bin/python tools/demo.py          # prints the transcript, stops everything
    .venv/bin/python tools/demo.py --keep   # then keeps it all running (Ctrl-C ends)
    .venv/bin/python tools/demo.py --mqtt   # the board's link over Mosquitto (TLS),
                                            # configured by `utwilio-agent broker-config`"""

import argparse
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import trustme  # noqa: E402
from utwilio_sandbox import settings  # noqa: E402
from utwilio_sandbox.server import SandboxServer  # noqa: E402

from tools.deploy import certs, deploy  # noqa: E402
from tools.vboard import VirtualBoard  # noqa: E402

PHONE = "+15551234567"
NUMBER = settings.DEFAULT_NUMBERS[0]
DEVICE = "greenhouse"
EXAMPLES = ROOT / "device" / "examples"
HOT = 13692  # what the RP2040's sensor (ADC 4) reads at 36.6 °C


# The board listens and reports its temperature; the VM's sensor reads what the host set,
# so let it drift by a degree or two, as a greenhouse's would.
KEEP_RUNNING = (
    "import hardware, machine, math, sms_commands, time\n"
    "sensor = hardware.temperature\n"
    "def drifting():\n"
    "    machine.host_set_adc(4, %d + int(80 * math.sin(time.time() / 40)))\n"
    "    return sensor()\n"
    "hardware.temperature = drifting\n"
    "sms_commands.main(wait=5, report=5)" % HOT)


def say(text=""):
    print(text, flush=True)


class Demo:
    def __init__(self, work):
        self.work = work
        self.ca = trustme.CA()
        self.ca_pem = work / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_pem))
        self.ca_der = work / "ca.der"
        self.ca_der.write_bytes(ssl.PEM_cert_to_DER_cert(self.ca.cert_pem.bytes().decode()))
        self.ctx = ssl.create_default_context(cafile=str(self.ca_pem))
        self.agent = None
        self.sandbox_url = self.agent_url = None
        self.broker = self.broker_url = None

    # -- the pieces ----------------------------------------------------------------

    def start_sandbox(self):
        pem = self.work / "sandbox.pem"
        self.ca.issue_cert("localhost", "127.0.0.1").private_key_and_cert_chain_pem.write_to_path(
            str(pem))
        server = SandboxServer(tls_cert=str(pem), tls_key=str(pem), step_seconds=0.2)
        server.start()
        self.sandbox_url = server.url.replace("127.0.0.1", "localhost")
        return server

    def start_agent(self, dashboard_password, mqtt=False):
        port = _free_port()
        self.agent_url = "http://127.0.0.1:%d" % port
        config = self.work / "agent.toml"
        config.write_text(
            '[agent]\npublic_url = "%s"\nport = %d\ndatabase = "%s"\nreply_deadline = 10\n'
            'acknowledgement = ""\n\n[twilio]\nnumber = "%s"\nbase_url = "%s"\n\n'
            '[devices.%s]\nnumbers = ["%s"]\nallow = ["%s"]\ncontacts = ["%s"]\n'
            % (self.agent_url, port, self.work / "agent.db", NUMBER, self.sandbox_url,
               DEVICE, NUMBER, PHONE, PHONE), encoding="utf-8")
        env = dict(os.environ, TWILIO_ACCOUNT_SID=settings.DEFAULT_ACCOUNT_SID,
                   TWILIO_AUTH_TOKEN=settings.DEFAULT_AUTH_TOKEN,
                   UTWILIO_DASHBOARD_PASSWORD=dashboard_password,
                   SSL_CERT_FILE=str(self.ca_pem))  # the agent trusts the sandbox's CA
        agent_cli = [sys.executable, "-m", "utwilio_agent", "--config", str(config)]
        if mqtt:
            env["UTWILIO_MQTT_PASSWORD"] = secrets.token_urlsafe(24)
            self.start_broker(config, agent_cli, env)
        added = subprocess.run(agent_cli + ["device", "add", DEVICE], env=env,
                               capture_output=True, text=True, timeout=60)
        if added.returncode != 0:
            raise SystemExit("utwilio-agent device add failed: %s" % added.stderr)
        token = added.stdout.split()[0]
        log = open(self.work / "agent.log", "wb")
        self.agent = subprocess.Popen(agent_cli + ["serve"], env=env, stdout=log, stderr=log,
                                      start_new_session=True)
        log.close()
        _wait_until(lambda: self._agent_up(), 20, "the agent to start (see %s)"
                    % (self.work / "agent.log"))
        self.post(self.sandbox_url + "/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json"
                  % (settings.DEFAULT_ACCOUNT_SID, self._number_sid()),
                  {"SmsUrl": self.agent_url + "/twilio/sms"}, auth=True)
        return token

    def start_broker(self, config, agent_cli, env):
        """Mosquitto with TLS (the run's CA), configured by `utwilio-agent broker-config`."""
        self.broker_url = "mqtts://localhost:%d" % _free_port()
        folder = self.work / "broker"
        with open(config, "a", encoding="utf-8") as f:
            f.write('\n[mqtt]\nurl = "%s"\nca = "%s"\nbroker_dir = "%s"\n'
                    % (self.broker_url, self.ca_pem, folder))
        cert = self.ca.issue_cert("localhost", "127.0.0.1")
        cert.cert_chain_pems[0].write_to_path(str(self.work / "broker-cert.pem"))
        cert.private_key_pem.write_to_path(str(self.work / "broker-key.pem"))
        made = subprocess.run(agent_cli + [
            "broker-config", "--certfile", str(self.work / "broker-cert.pem"),
            "--keyfile", str(self.work / "broker-key.pem")], env=env, capture_output=True,
            text=True, timeout=60)
        if made.returncode != 0:
            raise SystemExit("utwilio-agent broker-config failed: %s" % made.stderr)
        if os.geteuid() == 0:  # as root Mosquitto drops to user mosquitto: keep this run's
            with open(folder / "mosquitto.conf", "a") as f:  # private temp folder readable
                f.write("user root\n")
        log = open(self.work / "mosquitto.log", "wb")
        self.broker = subprocess.Popen(
            [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c",
             str(folder / "mosquitto.conf")], stdout=log, stderr=log, start_new_session=True)
        log.close()
        _wait_until(lambda: (folder / "mosquitto.pid").exists() or self.broker.poll() is not None,
                    20, "mosquitto to start")
        if self.broker.poll() is not None:
            raise SystemExit("mosquitto exited: %s"
                             % (self.work / "mosquitto.log").read_text()[-2000:])
        time.sleep(0.2)

    def stop_broker(self):
        if self.broker is not None and self.broker.poll() is None:
            self.broker.terminate()
            self.broker.wait(10)

    def stop_agent(self):
        if self.agent is not None and self.agent.poll() is None:
            os.kill(self.agent.pid, signal.SIGTERM)
            try:
                self.agent.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.agent.pid, signal.SIGKILL)
                self.agent.wait(10)

    def _agent_up(self):
        if self.agent.poll() is not None:
            raise SystemExit("the agent exited: %s"
                             % (self.work / "agent.log").read_text()[-2000:])
        try:
            with urllib.request.urlopen(self.agent_url + "/healthz", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def _number_sid(self):
        found = self.get(self.sandbox_url + "/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json"
                         "?PhoneNumber=%s" % (settings.DEFAULT_ACCOUNT_SID,
                                              urllib.parse.quote(NUMBER)), auth=True)
        return found["incoming_phone_numbers"][0]["sid"]

    # -- HTTP to the sandbox -------------------------------------------------------

    def _request(self, url, data=None, auth=False):
        req = urllib.request.Request(url, data=data)
        if auth:
            import base64

            pair = "%s:%s" % (settings.DEFAULT_ACCOUNT_SID, settings.DEFAULT_AUTH_TOKEN)
            req.add_header("Authorization", "Basic " + base64.b64encode(pair.encode()).decode())
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
            return json.load(r)

    def get(self, url, auth=False):
        return self._request(url, auth=auth)

    def post(self, url, fields, auth=False):
        return self._request(url, urllib.parse.urlencode(fields).encode(), auth)

    def to_phone(self):
        """The messages the phone has received, oldest first."""
        return [m for m in self.get(self.sandbox_url + "/sandbox/messages")["messages"]
                if m["to"] == PHONE]

    def phone_texts(self, body):
        """The phone texts the board's number; -> the first reply it then receives."""
        before = {m["sid"] for m in self.to_phone()}
        self.post(self.sandbox_url + "/sandbox/phone/messages",
                  {"From": PHONE, "To": NUMBER, "Body": body})
        say("   phone  > %s: %s" % (NUMBER, body))
        reply = _wait_until(lambda: [m for m in self.to_phone() if m["sid"] not in before],
                            30, "a reply to %r" % body)[0]
        say("   phone  < %s: %s" % (reply["from"], reply["body"]))
        return reply


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit("gave up waiting for %s" % what)
        time.sleep(0.05)


def _device_lines(text):
    for line in text.strip().splitlines():
        say("   device| " + line)


def story(demo, board, keep, mqtt=False):
    password = secrets.token_urlsafe(9)
    sandbox = demo.start_sandbox()
    try:
        say("1. Twilio sandbox at %s (HTTPS, certificate from a CA made for this run)"
            % demo.sandbox_url)
        token = demo.start_agent(password, mqtt)
        say("2. agent at %s (utwilio-agent serve, pid %d); `utwilio-agent device add %s` "
            "issued the board's token; %s's SMS webhook -> %s/twilio/sms"
            % (demo.agent_url, demo.agent.pid, DEVICE, NUMBER, demo.agent_url))
        if mqtt:
            say("   broker: Mosquitto at %s (pid %d, TLS), its config, logins and per-device "
                "topic rules written by `utwilio-agent broker-config`; `device add` gave the "
                "board its login" % (demo.broker_url, demo.broker.pid))
        board.start()
        lines = []
        version = deploy(board.port, {
            "account_sid": settings.DEFAULT_ACCOUNT_SID, "auth_token": settings.DEFAULT_AUTH_TOKEN,
            "from": NUMBER, "to": PHONE, "base_url": demo.sandbox_url,
            "wifi": {"ssid": "utwilio-host", "password": "demo-wifi-password"},
            "agent": {"url": demo.agent_url, "device_id": DEVICE, "token": token},
            "alert": {"threshold": 35, "hysteresis": 2, "cooldown": 600, "every": 0},
        }, certs.from_file(str(demo.ca_der)), say=lines.append)
        files = [str(p) for p in sorted(EXAMPLES.glob("*.py")) if p.name not in ("boot.py",
                                                                                 "main.py")]
        board.mpremote("fs", "cp", *files, ":")
        say("3. virtual board on %s (VM pid %s): the deploy tool (tools.deploy) "
            "installed utwilio %s, config.json and ca.der; the examples copied beside them"
            % (board.port, " ".join(map(str, board.pids())), version))
        for line in lines:
            if line.startswith(("board:", "utwilio")):
                say("   deploy| " + line)

        say("\n4. the board reads its temperature sensor and texts an alert (temperature_alert.py)")
        before = {m["sid"] for m in demo.to_phone()}
        _device_lines(board.exec(
            "import machine, temperature_alert\nmachine.host_set_adc(4, %d)\n"
            "temperature_alert.main(cycles=1)" % HOT, timeout=60))
        alert = _wait_until(lambda: [m for m in demo.to_phone() if m["sid"] not in before],
                            30, "the alert")[0]
        say("   phone  < %s: %s" % (alert["from"], alert["body"]))

        if mqtt:
            say("\n   one URL changed in the board's config.json: agent.url = %s"
                % demo.broker_url)
            board.exec("import json\nc = json.load(open('config.json'))\n"
                       "c['agent']['url'] = %r\njson.dump(c, open('config.json', 'w'))"
                       % demo.broker_url, timeout=30)
        say("\n5. the board listens for texts through the agent%s (sms_commands.py)"
            % (" over MQTT" if mqtt else ""))
        out = {}
        listening = threading.Thread(target=lambda: out.update(text=board.exec(
            "import machine, sms_commands\nsms_commands.main(handled=2, wait=10)\n"
            "print('LED pin 2 is', machine.Pin(2).value())", timeout=90)), daemon=True)
        listening.start()
        on = demo.phone_texts("led on")
        status = demo.phone_texts("status")
        listening.join(90)
        _device_lines(out.get("text", "(the board did not finish)"))
        if on["body"] != "LED is on" or not status["body"].startswith("LED on,") or \
                "LED pin 2 is 1" not in out.get("text", ""):
            raise SystemExit("the board's replies were not the expected ones")
        say("\ndone: alert sent, commands answered, replies delivered.")
        if keep:
            say("\nkept running (Ctrl-C stops everything):")
            say("   sandbox phone:   %s/sandbox/phone   (trust %s, or accept the warning)"
                % (demo.sandbox_url, demo.ca_pem))
            say("   agent console:   %s/dashboard/devices/%s   (any user, password %s)"
                % (demo.agent_url, DEVICE, password))
            say("   the board answers texts and the console: led on, led off, status; it "
                "reports its temperature every 5 s (plotted on the console)")
            board.exec(KEEP_RUNNING, timeout=None)
    finally:
        demo.stop_agent()
        demo.stop_broker()
        sandbox.stop()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    # Ctrl-C, or `kill PID`, stops everything (even when started in the background,
    # where the shell makes SIGINT ignored).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--keep", action="store_true",
                   help="keep the sandbox, the agent and the board running; print their URLs")
    p.add_argument("--mqtt", action="store_true",
                   help="the board's link over a Mosquitto broker (TLS) instead of HTTP")
    args = p.parse_args(argv)
    say("utwilio demo: a board texts you, and you text it back\n")
    work = Path(tempfile.mkdtemp(prefix="utwilio-demo-"))
    board = VirtualBoard()
    try:
        story(Demo(work), board, args.keep, args.mqtt)
    except KeyboardInterrupt:
        say("\nstopped: the board, the agent%s and the sandbox are down."
            % (", the broker" if args.mqtt else ""))
    finally:
        board.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
