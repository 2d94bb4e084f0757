"""A real Mosquitto 2 broker for the tests, on 127.0.0.1 and a port chosen free, with
TLS from a CA made at test time, configured by the agent's own `broker-config` code
(agent/broker.py). Started and stopped here (SIGTERM, or SIGKILL to crash it); a
restart keeps the port and the logins."""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

from utwilio_agent import broker

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
AGENT_USER = "utwilio-agent"
AGENT_PASSWORD = "agent-password-for-tests"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mosquitto:
    """`url` for devices and the agent (mqtts://localhost:PORT), `ca_der` the CA in DER
    (what a device holds), `ca_pem` the CA file (what the agent holds)."""

    def __init__(self, folder, ca, secure=True):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        scheme = "mqtts" if secure else "mqtt"
        self.url = "%s://localhost:%d" % (scheme, self.port)
        self.ca_pem = self.folder / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_pem))
        self.ca_der = self.folder / "ca.der"
        self.ca_der.write_bytes(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
        cert = ca.issue_cert("localhost", "127.0.0.1")
        cert.cert_chain_pems[0].write_to_path(str(self.folder / "cert.pem"))
        cert.private_key_pem.write_to_path(str(self.folder / "key.pem"))
        self.proc = None
        self.add_agent(AGENT_USER, AGENT_PASSWORD)

    def add_agent(self, user, password):
        """Another agent account (each agent process needs its own), as broker-config
        adds it; a running broker reloads."""
        broker.write(self.folder, self.url.replace("localhost", "127.0.0.1"), user, password,
                     self.folder / "cert.pem", self.folder / "key.pem")
        if os.geteuid() == 0:  # as root, Mosquitto would drop to user "mosquitto": stay
            with open(self.folder / "mosquitto.conf", "a") as f:
                f.write("user root\n")
        if self.proc is not None:
            self.proc.send_signal(signal.SIGHUP)
            time.sleep(0.3)

    def add_device(self, device_id, token):
        broker.add_device(self.folder, device_id, token)

    def start(self):
        log = open(self.folder / "mosquitto.log", "ab")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.folder / "mosquitto.conf")],
                                     stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mosquitto exited: %s" % self.log()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen on %d: %s" % (self.port, self.log()[-2000:]))

    def stop(self, kill=False):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.proc.wait(10)
        self.proc = None

    def log(self):
        return (self.folder / "mosquitto.log").read_text(errors="replace")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
