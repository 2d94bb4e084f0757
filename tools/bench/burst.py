"""A burst of 10 alerts over verified TLS on the MicroPython VM: one connection kept
open (`Twilio(..., keep_alive=True)`) against 10 fresh handshakes (the default), in the
same run against the same server (tools/bench/twilio_shaped.py under uvicorn, an RSA
2048 certificate chain like api.twilio.com's). Prints a Markdown table: wall time of the
burst (median of ROUNDS), connections opened, and the median time of one send.

    .venv/bin/python tools/bench/burst.py

Loopback hides the network's round trips, which a real board pays per handshake
(two more round trips each): on Wi-Fi the difference is larger than measured here."""

import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent))
import twilio_shaped  # noqa: E402
from heap import compile_package  # noqa: E402

BIN = Path(sys.executable).parent
ALERTS = 10
ROUNDS = 5

SCRIPT = """
import time, json, utwilio
out = {}
for keep in (False, True):
    t = utwilio.Twilio(%(sid)r, "secret", "+15550000001", base_url=%(url)r,
                       cadata=open("ca.der", "rb").read(), keep_alive=keep)
    each = []
    start = time.ticks_ms()
    with t:
        for i in range(%(n)d):
            s = time.ticks_us()
            r = t.send("+15551234567", "Greenhouse hot: %%d" %% i)
            each.append(time.ticks_diff(time.ticks_us(), s))
            assert r["statuscode"] == 201, r
    out["kept" if keep else "fresh"] = {"ms": time.ticks_diff(time.ticks_ms(), start),
                                        "opened": t.transport.opened, "each_us": each}
print("RESULT " + json.dumps(out))
"""


def main():
    work = Path(tempfile.mkdtemp(prefix="utwilio-burst-"))
    compile_package(work)
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    ca.issue_cert("localhost", key_type=trustme.KeyType.RSA).private_key_and_cert_chain_pem \
        .write_to_path(str(work / "server.pem"))
    (work / "ca.der").write_bytes(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
    runs = {"fresh": [], "kept": []}
    with twilio_shaped.TwilioShaped(str(work / "server.pem"), str(work / "server.pem")) as s:
        script = work / "burst.py"
        script.write_text(SCRIPT % {"sid": twilio_shaped.SID, "n": ALERTS,
                                    "url": s.url.replace("127.0.0.1", "localhost")})
        env = dict(os.environ, MICROPYPATH="lib:.frozen")
        for _ in range(ROUNDS):
            proc = subprocess.run([str(BIN / "micropython"), str(script)], cwd=work, env=env,
                                  capture_output=True, text=True, timeout=300)
            line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
            if not line:
                raise SystemExit(proc.stdout + proc.stderr)
            out = json.loads(line[0][7:])
            for kind in runs:
                runs[kind].append(out[kind])
    print("| %d alerts over verified TLS | burst, ms (median of %d) | connections opened "
          "| one send, ms (median) |" % (ALERTS, ROUNDS))
    print("|---|---:|---:|---:|")
    for kind, label in (("fresh", "a handshake per alert (default)"),
                        ("kept", "one connection (`keep_alive=True`)")):
        ms = statistics.median(r["ms"] for r in runs[kind])
        each = statistics.median(us for r in runs[kind] for us in r["each_us"]) / 1000
        print("| %s | %d | %d | %.1f |" % (label, ms, runs[kind][0]["opened"], each))


if __name__ == "__main__":
    main()
