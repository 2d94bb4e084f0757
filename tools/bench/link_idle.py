"""TLS handshakes of an idle device: three devices on the MicroPython VM run the link
for SECONDS with nothing to do, against the real agent over HTTPS and a real Mosquitto
over TLS (one CA made for the run): the HTTP link with keep-alive (today), the HTTP
link with a connection per request (as before keep-alive: the naive way) and the MQTT
link. Each connection opened is one TLS handshake.

    .venv/bin/python tools/bench/link_idle.py [SECONDS]     (default 300)"""

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "stubs")]
WAIT = 25  # s, the link's default long-poll

DEVICE = """
import json, sys, time
from utwilio.link import Link
a = json.load(open(sys.argv[1]))
link = Link(a["url"], a["device"], a["token"], cadata=open(a["ca"], "rb").read(), wait=%d)
channel = link.channel
counter = channel.transport if hasattr(channel, "transport") else channel.conn
if not a["keep_alive"]:
    counter.keep_alive = False
end = time.ticks_add(time.ticks_ms(), a["seconds"] * 1000)
polls = 0
while time.ticks_diff(end, time.ticks_ms()) > 1000:
    link.poll(min(%d, time.ticks_diff(end, time.ticks_ms()) // 1000))
    polls += 1
    if link.failures:
        print("OUTAGE", link.error)
        time.sleep_ms(200)  # poll() returns at once while it backs off
print("RESULT " + json.dumps({"opened": counter.opened, "polls": polls, "error": link.error}))
""" % (WAIT, WAIT)


def add_device(path, env, name):
    from utwilio_agent.cli import main

    out = io.StringIO()
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            assert main(["--config", str(path), "device", "add", name]) == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return out.getvalue().split()[0]


def run_device(work, args):
    path = work / ("%s.json" % args["device"])
    path.write_text(json.dumps(args))
    proc = subprocess.run([str(BIN / "micropython"), str(work / "device.py"), str(path)],
                          capture_output=True, text=True, timeout=args["seconds"] + 120,
                          env=dict(os.environ, MICROPYPATH="%s:.frozen" % (ROOT / "device")))
    for line in proc.stdout.splitlines():
        if line.startswith("OUTAGE"):
            print(args["device"], line, file=sys.stderr)
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit("%s failed: %s %s" % (args["device"], proc.stdout, proc.stderr))


def main(seconds):
    import sitecustomize  # noqa: F401
    import trustme
    from mosquitto import AGENT_PASSWORD, Mosquitto
    from utwilio_agent.app import create_app
    from utwilio_agent.config import load
    from utwilio_sandbox.server import ServerThread

    work = Path(tempfile.mkdtemp(prefix="utwilio-idlebench-"))
    ca = trustme.CA()
    (work / "device.py").write_text(DEVICE)
    server_pem = work / "agent.pem"
    ca.issue_cert("localhost").private_key_and_cert_chain_pem.write_to_path(str(server_pem))
    with Mosquitto(work / "broker", ca) as broker:
        config = work / "agent.toml"
        config.write_text('[agent]\ndatabase = "%s"\n[mqtt]\nurl = "%s"\nca = "%s"\n'
                          'broker_dir = "%s"\n' % (work / "agent.db", broker.url, broker.ca_pem,
                                                   broker.folder))
        env = {"UTWILIO_MQTT_PASSWORD": AGENT_PASSWORD}
        tokens = {name: add_device(config, env, name) for name in ("keep", "close", "mqtt")}
        agent = ServerThread(create_app(load(config, env)), tls_cert=str(server_pem),
                             tls_key=str(server_pem))
        agent.start()
        try:
            url = "https://localhost:%d" % agent.port
            runs = {"keep": (url, True), "close": (url, False), "mqtt": (broker.url, True)}
            results = {}
            threads = [threading.Thread(target=lambda name=name, u=u, keep=keep: results.update(
                {name: run_device(work, {"url": u, "device": name, "token": tokens[name],
                                         "ca": str(broker.ca_der), "keep_alive": keep,
                                         "seconds": seconds})}))
                       for name, (u, keep) in runs.items()]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            agent.stop()
    print("Idle for %d s, long-poll wait %d s, keepalive 60 s (MicroPython VM):" % (seconds, WAIT))
    print()
    print("| link | polls | TLS handshakes | per idle hour |")
    print("|---|---:|---:|---:|")
    for name, label in (("keep", "HTTP link, keep-alive (now)"),
                        ("close", "HTTP link, a connection per request (before)"),
                        ("mqtt", "MQTT link")):
        r = results[name]
        kept = name != "close"
        hourly = r["opened"] if kept else round(r["opened"] * 3600 / seconds)
        print("| %s | %d | %d | %s |" % (label, r["polls"], r["opened"],
                                        "%d (the connection stays open)" % hourly if kept
                                        else "%d" % hourly))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
