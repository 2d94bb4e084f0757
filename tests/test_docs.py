"""The docs run: every fenced `sh` and `python` block of README.md and docs/*.md.

Conventions (for everyone who writes docs):
- ```sh blocks of a page run in order, in one bash (`set -euo pipefail`), as a reader
  following the page in one terminal: in a fresh copy of the repository (its .venv is
  this one's), with $PORT the port of a virtual board started for the page.
- ```python blocks run on CPython, each on its own, from a temporary directory. A block
  preceded by `<!-- device -->` is device code: it runs with device/ and stubs/ on the
  path, on CPython AND on the MicroPython VM; its Twilio is the local sandbox (a prelude
  points `utwilio.Twilio` and `utwilio.rest.Client` at a sandbox started for the test,
  with its credentials), so the numbers in it must be ones the sandbox knows as senders
  (+15017122661, +15005550006).
- `<!-- covered-by: tests/x.py::test_y -->` on the line just before a fence: the block is
  not run here (it needs a board, a server, the internet, or runs forever); the named
  test, which must exist, proves it instead.
- Anything else (output, configuration, a command only a real board can take) is tagged
  `text`, `console`, `toml`, `json`, `ini`… and is not run.
Relative links between the pages must point at files that exist."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.vboard import VirtualBoard  # noqa: E402

PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
MARK = re.compile(r"<!--\s*(device|covered-by:\s*(\S+))\s*-->\s*$")
MICROPYTHON = Path(sys.executable).parent / "micropython"


def blocks(page):
    """-> [(language, code, mark, line)] of a page; mark: None, "device" or a test id."""
    text = page.read_text(encoding="utf-8")
    found = []
    for m in FENCE.finditer(text):
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = MARK.search(before)
        label = None
        if mark:
            label = mark.group(2) or mark.group(1)
        found.append((m.group(1), m.group(2), label, text.count("\n", 0, m.start()) + 1))
    return found


def _id(page):
    return str(page.relative_to(ROOT))


def test_the_pages_are_found_and_the_front_page_is_short():
    assert len(PAGES) >= 8, PAGES
    assert len((ROOT / "README.md").read_bytes()) <= 6500


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_covered_blocks_name_tests_that_exist(page):
    for _, _, mark, line in blocks(page):
        if mark and mark != "device":
            path, _, name = mark.partition("::")
            test_file = ROOT / path
            assert test_file.exists(), "%s:%d names %s" % (_id(page), line, path)
            assert re.search(r"^\s*(async )?def %s\(" % re.escape(name), test_file.read_text(),
                             re.M), "%s:%d: no %s in %s" % (_id(page), line, name, path)


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_relative_links_point_at_files(page):
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), "%s links to %s" % (_id(page), target)


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_no_paths_outside_the_repository(page):
    text = page.read_text(encoding="utf-8")
    for outside in ("/work/", "/root/", "issue 4", "seeds"):
        assert outside not in text, "%s mentions %r" % (_id(page), outside)


# --- sh blocks --------------------------------------------------------------------------

def fresh_copy(dest):
    """The repository's files as git sees them (committed or not), .venv linked."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    # the linked .venv is this checkout's, installed already: the copy's pyproject.toml
    # must not look newer than its stamps, as after `make` in the clone itself
    os.utime(dest / "pyproject.toml", (0, 0))


@pytest.mark.parametrize("page", [p for p in PAGES if any(
    lang == "sh" and mark is None for lang, _, mark, _ in blocks(p))], ids=_id)
def test_sh_blocks_run_in_a_fresh_copy(page, tmp_path):
    script = ["set -euo pipefail"]
    for lang, code, mark, line in blocks(page):
        if lang == "sh" and mark is None:
            script += ["echo '::: block at line %d' >&2" % line, code]
    copy = tmp_path / "utwilio"
    copy.mkdir()
    fresh_copy(copy)
    with VirtualBoard() as board:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV",
                                                                        "PYTHON"))}
        env.update(PORT=board.port, HOME=str(tmp_path))
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                      if not p.startswith(str(ROOT)))
        proc = subprocess.run(["bash", "-c", "\n".join(script)], cwd=copy, env=env,
                              capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, "%s failed:\n%s\n%s" % (_id(page), proc.stdout[-4000:],
                                                        proc.stderr[-4000:])


# --- python blocks ----------------------------------------------------------------------

PRELUDE = '''\
import utwilio, utwilio.rest
_Twilio, _Client = utwilio.Twilio, utwilio.rest.Client
class _SandboxTwilio(_Twilio):
    def __init__(self, sid, token, number, **kw):
        kw["base_url"] = %(url)r
        _Twilio.__init__(self, %(sid)r, %(token)r, number, **kw)
class _SandboxClient(_Client):
    def __init__(self, sid=None, token=None, **kw):
        kw["base_url"] = %(url)r
        _Client.__init__(self, %(sid)r, %(token)r, **kw)
utwilio.Twilio, utwilio.rest.Client = _SandboxTwilio, _SandboxClient
'''


@pytest.fixture(scope="module")
def sandbox():
    from utwilio_sandbox.server import SandboxServer

    with SandboxServer() as server:
        yield server


def python_blocks():
    for page in PAGES:
        for lang, code, mark, line in blocks(page):
            if lang == "python" and mark in (None, "device"):
                yield pytest.param(code, mark == "device", id="%s:%d" % (_id(page), line))


@pytest.mark.parametrize("code, device", list(python_blocks()))
def test_python_block_runs_on_cpython(code, device, sandbox, tmp_path):
    from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

    env = dict(os.environ)
    if device:
        code = PRELUDE % {"url": sandbox.url, "sid": DEFAULT_ACCOUNT_SID,
                          "token": DEFAULT_AUTH_TOKEN} + code
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "device"), str(ROOT / "stubs")])
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("code", [p.values[0] for p in python_blocks() if p.values[1]],
                         ids=[p.id for p in python_blocks() if p.values[1]])
def test_device_block_runs_on_the_micropython_vm(code, sandbox, tmp_path):
    from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

    script = tmp_path / "block.py"
    script.write_text(PRELUDE % {"url": sandbox.url, "sid": DEFAULT_ACCOUNT_SID,
                                 "token": DEFAULT_AUTH_TOKEN} + code, encoding="utf-8")
    env = dict(os.environ, MICROPYPATH=":".join([str(ROOT / "device"), str(ROOT / "stubs"),
                                                 ".frozen"]))
    proc = subprocess.run([str(MICROPYTHON), str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stdout, proc.stdout + proc.stderr


# --- what the docs lean on ----------------------------------------------------------------

def test_make_test_is_what_ci_runs():
    """The README's `make test`: CI runs exactly it (and it installs the dev extra)."""
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    dry = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True)
    assert dry.returncode == 0 and "pytest" in dry.stdout, dry.stdout + dry.stderr


def test_first_alert_on_a_virtual_board(sandbox):
    """Getting started, step 5, on a virtual board whose Twilio is the sandbox: the
    deploy tool, then `cp boot.py hardware.py first_alert.py :`, `reset` and
    `exec "import first_alert"`, with plain mpremote as the page types them."""
    from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

    import tools.deploy as deploy_tool

    mpremote = str(Path(sys.executable).parent / "mpremote")
    with VirtualBoard() as board:
        deploy_tool.deploy(board.port, {
            "account_sid": DEFAULT_ACCOUNT_SID, "auth_token": DEFAULT_AUTH_TOKEN,
            "from": "+15017122661", "to": "+15551234567", "base_url": sandbox.url,
            "wifi": {"ssid": "home", "password": "your_wifi_password"}}, None,
            say=lambda line: None)
        examples = ROOT / "device" / "examples"
        for args in (["cp", "boot.py", "hardware.py", "first_alert.py", ":", "+", "reset"],
                     ["exec", "import first_alert"]):
            proc = subprocess.run([mpremote, "connect", board.port, *args], cwd=examples,
                                  capture_output=True, text=True, timeout=60)
            assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.match(r"sent SM[0-9a-f]{32} queued$", proc.stdout.strip()), proc.stdout
