"""Makes the project's virtual environment with nothing but Python 3.11 (no root):
`python3 tools/make_venv.py .venv`.

`python3 -m venv` needs ensurepip, which Debian disables unless the python3-venv
package is installed (root). Without it, the venv is made without pip, and pip comes
from PyPI: the pinned wheel, its SHA-256 checked, run from the wheel itself to install
itself. UTWILIO_PIP_INDEX (default: PyPI's simple index for pip) lets a test serve it
locally."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import venv

PIP = "pip-23.2.1-py3-none-any.whl"
PIP_SHA256 = "7ccf472345f20d35bdc9d1841ff5f313260c2c33fe417f48c30ac46cccabf5be"
INDEX = os.environ.get("UTWILIO_PIP_INDEX", "https://pypi.org/simple/pip/")


def fetch_pip(into):
    """-> the path of the pinned pip wheel, found in the index (PyPI's simple API, as
    pip reads it), downloaded into `into` and checked against the pinned SHA-256."""
    request = urllib.request.Request(INDEX, headers={
        "Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        files = json.load(r)["files"]
    url = next(f["url"] for f in files if f["filename"] == PIP)
    url = urllib.parse.urljoin(INDEX, url)
    path = os.path.join(into, PIP)
    with urllib.request.urlopen(url, timeout=120) as r:
        data = r.read()
    if hashlib.sha256(data).hexdigest() != PIP_SHA256:
        raise SystemExit("venv: %s is not the pinned pip wheel (SHA-256 differs)" % url)
    with open(path, "wb") as f:
        f.write(data)
    return path


def make(target):
    if not os.environ.get("UTWILIO_NO_ENSUREPIP"):  # tests: act as on a stock Debian
        try:
            venv.EnvBuilder(with_pip=True).create(target)
            return
        except (Exception, SystemExit) as e:  # Debian: ensurepip is there but disabled
            print("venv: `python3 -m venv` could not install pip (%s)" % e, flush=True)
            shutil.rmtree(target, ignore_errors=True)
    print("venv: making %s without ensurepip (Debian's python3-venv is not installed) "
          "and fetching %s from PyPI" % (target, PIP), flush=True)
    venv.EnvBuilder(with_pip=False).create(target)
    python = os.path.join(target, "bin", "python")
    with tempfile.TemporaryDirectory() as tmp:
        wheel = fetch_pip(tmp)
        subprocess.run([python, os.path.join(wheel, "pip"), "install", "--quiet",
                        "--no-index", "--disable-pip-version-check", wheel], check=True)


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python3 tools/make_venv.py DIR")
    if sys.version_info < (3, 11):
        raise SystemExit("utwilio needs Python 3.11 or newer; this is %s" % sys.version.split()[0])
    make(args[0])


if __name__ == "__main__":
    main()
