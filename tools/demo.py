"""`make demo`: a device on the real MicroPython VM texts a person through the local
Twilio sandbox over verified TLS, and the sandbox shows the message it stored.

Everything runs on this machine: a CA made for this run signs the sandbox's
certificate, and the device checks it with the CA in DER (ca.der), as on a board."""

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import trustme
from utwilio_sandbox import settings
from utwilio_sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[1]
MICROPYTHON = Path(sys.executable).parent / "micropython"
PHONE = "+15551234567"


def say(step, text):
    print("%s %s" % (step, text), flush=True)


def main():
    board = Path(tempfile.mkdtemp(prefix="utwilio-board-"))
    try:
        run(board)
    finally:
        shutil.rmtree(board, ignore_errors=True)


def run(board):
    print("utwilio demo: a MicroPython device texts you through a local Twilio sandbox\n")
    ca = trustme.CA()
    ca.issue_cert("localhost", "127.0.0.1").private_key_and_cert_chain_pem.write_to_path(
        str(board / "server.pem"))
    (board / "ca.der").write_bytes(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
    with SandboxServer(tls_cert=str(board / "server.pem"),
                       tls_key=str(board / "server.pem")) as sandbox:
        base_url = sandbox.url.replace("127.0.0.1", "localhost")
        say("1.", "Twilio sandbox up at %s (HTTPS; certificate from a CA made for this run)"
            % base_url)
        (board / "config.json").write_text(json.dumps({
            "account_sid": settings.DEFAULT_ACCOUNT_SID, "auth_token": settings.DEFAULT_AUTH_TOKEN,
            "from": settings.DEFAULT_NUMBERS[0], "to": PHONE, "base_url": base_url,
            "message": "Greenhouse hot: 36.2°C 🌡️ (threshold 35°C)"},
            # Raw UTF-8: MicroPython's json does not join \\uXXXX surrogate pairs.
            ensure_ascii=False), encoding="utf-8")
        shutil.copy(ROOT / "device" / "examples" / "first_alert.py", board / "main.py")
        version = subprocess.run([str(MICROPYTHON), "-c",
                                  "import sys; print('%d.%d.%d' % sys.implementation.version[:3])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        say("2.", "device: MicroPython %s runs device/examples/first_alert.py" % version)
        env = dict(os.environ, MICROPYPATH="%s:.frozen" % (ROOT / "device"))
        proc = subprocess.run([str(MICROPYTHON), "main.py"], cwd=board, env=env,
                              capture_output=True, text=True, timeout=60)
        for line in (proc.stdout + proc.stderr).strip().splitlines():
            print("   device> " + line)
        if proc.returncode != 0 or "sent" not in proc.stdout:
            raise SystemExit("the device did not send its alert")
        with urllib.request.urlopen(base_url + "/sandbox/messages", context=_ctx(ca)) as r:
            stored = json.load(r)
        say("3.", "the sandbox stored this message for %s:" % PHONE)
        for m in stored["messages"][-1:]:
            for key in ("sid", "from", "to", "body", "status", "num_segments", "date_created"):
                print("   %-13s %s" % (key, m.get(key)))
    print("\ndone: the alert went from the device to the sandbox over verified TLS.")


def _ctx(ca):
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


if __name__ == "__main__":
    main()
