"""The setup the two commands do on a fresh machine: the venv without Debian's
python3-venv (no root), and the setup scripts' use of sudo."""

import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import make_venv as venv_tool  # noqa: E402


def _bundled_pip():
    """The pip wheel that CPython bundles for ensurepip (the version tools/make_venv.py pins)."""
    import ensurepip

    found = sorted((Path(ensurepip.__file__).parent / "_bundled").glob("pip-*.whl"))
    assert found, "no bundled pip wheel"
    return found[-1]


def test_the_venv_without_ensurepip_gets_the_pinned_pip_from_the_index(tmp_path):
    wheel = _bundled_pip()
    assert wheel.name == venv_tool.PIP
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == venv_tool.PIP_SHA256
    (tmp_path / "files" / "simple" / "pip").mkdir(parents=True)
    shutil.copy(wheel, tmp_path / "files" / wheel.name)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(tmp_path / "files"))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d/" % server.server_address[1]
    (tmp_path / "files" / "simple" / "pip" / "index.html").write_text(json.dumps({"files": [
        {"filename": wheel.name, "url": "../../" + wheel.name,
         "hashes": {"sha256": venv_tool.PIP_SHA256}}]}))
    env = dict(os.environ, UTWILIO_NO_ENSUREPIP="1", UTWILIO_PIP_INDEX=base + "simple/pip/")
    try:
        proc = subprocess.run([sys.executable, str(ROOT / "tools" / "make_venv.py"),
                               str(tmp_path / "venv")], env=env, capture_output=True,
                              text=True, timeout=300)
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "without ensurepip" in proc.stdout
    pip = subprocess.run([str(tmp_path / "venv" / "bin" / "python"), "-m", "pip", "--version"],
                         capture_output=True, text=True, timeout=60)
    assert pip.stdout.startswith("pip 23.2.1 "), pip.stdout + pip.stderr


def _path_with(tmp_path, **scripts):
    """A PATH where `id -u` says 1000 (not root) and the given tools are shell scripts;
    sudo and chromium exist only if given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "bash", "dirname", "basename", "cat", "env", "grep"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    scripts.setdefault("id", 'echo 1000')
    for name, body in scripts.items():
        (bin_dir / name).write_text("#!/bin/sh\n%s\n" % body)
        (bin_dir / name).chmod(0o755)
    return str(bin_dir)


def _as_root(path, *cmd):
    return subprocess.run(["sh", "-c", '. %s/tools/as-root.sh; as_root "installing x" "$@"'
                           % ROOT, "setup", *cmd], env=dict(os.environ, PATH=path),
                          capture_output=True, text=True, timeout=60)


def test_as_root_uses_sudo_when_not_root_and_says_so(tmp_path):
    path = _path_with(tmp_path, sudo='echo "SUDO $*"')
    proc = _as_root(path, "apt-get", "install", "x")
    assert proc.returncode == 0 and proc.stdout == "SUDO apt-get install x\n"
    assert "installing x needs root: running 'sudo apt-get install x'" in proc.stderr


def test_without_root_or_sudo_the_scripts_say_what_to_do(tmp_path):
    path = _path_with(tmp_path)
    proc = _as_root(path, "apt-get", "install", "x")
    assert proc.returncode == 1
    assert "installing x needs root, and sudo is not installed" in proc.stderr
    browser = subprocess.run(["bash", str(ROOT / "tools" / "sandbox" / "setup-browser.sh")],
                             env=dict(os.environ, PATH=path), capture_output=True, text=True,
                             timeout=60)
    assert browser.returncode == 1
    assert "installing chromium needs root, and sudo is not installed" in browser.stderr


def test_the_demo_extra_is_a_subset_of_dev_with_the_same_pins():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert extras["demo"] and set(extras["demo"]) <= set(extras["dev"]), (
        set(extras["demo"]) - set(extras["dev"]))
