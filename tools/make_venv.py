"""Makes the project's virtual environment with nothing but Python 3.11 (no root):
`python3 tools/make_venv.py .venv`.

`python3 -m venv` needs ensurepip, which Debian disables unless the python3-venv
package is installed (root). Without it, the venv is made without pip, and pip comes
from PyPI: the pinned wheel, its SHA-256 checked against PyPI's record, run from the
wheel itself to install itself. UTWILIO_PYPI_JSON (default: PyPI's JSON API) lets a
test serve it locally."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import venv

PIP = "23.2.1"
PYPI_JSON = os.environ.get("UTWILIO_PYPI_JSON", "https://pypi.org/pypi/{name}/{version}/json")


def fetch_pip(into):
    """-> the path of the pinned pip wheel, downloaded into `into` and checked."""
    with urllib.request.urlopen(PYPI_JSON.format(name="pip", version=PIP), timeout=60) as r:
        release = json.load(r)
    wheel = next(f for f in release["urls"] if f["filename"].endswith("-py3-none-any.whl"))
    path = os.path.join(into, wheel["filename"])
    with urllib.request.urlopen(wheel["url"], timeout=120) as r, open(path, "wb") as f:
        data = r.read()
        f.write(data)
    if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
        raise SystemExit("venv: %s does not match PyPI's SHA-256; try again" % wheel["url"])
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
          "and fetching pip %s from PyPI" % (target, PIP), flush=True)
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
