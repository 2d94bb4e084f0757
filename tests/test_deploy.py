"""The deploy tool (tools/deploy) and the mip manifests (device/package.json,
device/core.json), proven on virtual boards: deploy, then send from the board to a
local server over HTTP and verified HTTPS."""

import base64
import functools
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import tools.deploy as deploy_tool  # noqa: E402
from tools.deploy import board as boardio  # noqa: E402
from tools.deploy import certs, config, files, manifest  # noqa: E402
from tools.deploy.errors import DeployError  # noqa: E402
from tools.vboard import VirtualBoard  # noqa: E402

SID = "AC" + "1" * 32
TOKEN = "tok3n-Sup3r-s3cret-value"
WIFI_PASSWORD = "wifi-pa55word-s3cret"
AGENT_TOKEN = "ag3nt-t0ken-s3cret"
FROM = "+15550000001"
TO = "+15551234567"
VERSION = manifest.version()
SETUP = ROOT / "tools" / "setup-system.sh"


@pytest.fixture(scope="module", autouse=True)
def socat():
    if shutil.which("socat") is None:
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            pytest.skip("socat is missing and this user cannot apt-get it: "
                        "run `sudo sh tools/setup-system.sh`")
        subprocess.run(["sh", str(SETUP)], check=True, timeout=600)


def cli(*args, env=None):
    """Runs `python -m tools.deploy ARGS` as a user would -> CompletedProcess."""
    full_env = dict(os.environ, TWILIO_AUTH_TOKEN=TOKEN, UTWILIO_WIFI_PASSWORD=WIFI_PASSWORD,
                    UTWILIO_AGENT_TOKEN=AGENT_TOKEN)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "tools.deploy", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=full_env)


def assert_no_secret(text):
    for secret in (TOKEN, WIFI_PASSWORD, AGENT_TOKEN):
        assert secret not in text


def run_on(board, code):
    """Runs `code` on the board; it prints `RESULT <json>` -> that object."""
    out = board.exec(code)
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise AssertionError("no RESULT from the board:\n%s" % out)


SEND = """
import json
from utwilio import Twilio
c = json.load(open("config.json"))
t = Twilio(c["account_sid"], c["auth_token"], c["from"], base_url=%r, timeout=5)
r = t.send(c["to"], "Greenhouse hot: 36.2\u00b0C")
print("RESULT", json.dumps({k: r[k] for k in ("statuscode", "sid", "message")}))
"""


@pytest.fixture(scope="module")
def ca_pem(ca, tmp_path_factory):
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def deployed(ca_pem):
    """A virtual board with the full package, config.json and the test CA, deployed by
    the CLI; yields (board, the CLI's output)."""
    with VirtualBoard() as board:
        proc = cli("--port", board.port, "--account-sid", SID, "--from", FROM, "--to", TO,
                   "--wifi-ssid", "home", "--ca", str(ca_pem))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        yield board, proc.stdout + proc.stderr


# --- a real deploy, then real sends from the board -----------------------------------

def test_deploy_installs_mpy_files_config_and_ca(deployed, ca):
    board, output = deployed
    installed = sorted(p.name for p in (board.dir / "lib" / "utwilio").iterdir())
    assert installed == sorted(n[:-3] + ".mpy" for n in files.modules())
    assert (board.dir / "ca.der").read_bytes() == ssl.PEM_cert_to_DER_cert(
        ca.cert_pem.bytes().decode())
    assert json.loads((board.dir / "config.json").read_text()) == {
        "wifi": {"ssid": "home", "password": WIFI_PASSWORD}, "account_sid": SID,
        "auth_token": TOKEN, "from": FROM, "to": TO}
    assert "installed utwilio %s on %s" % (VERSION, board.port) in output


def test_the_board_imports_the_deployed_package(deployed):
    board, _ = deployed
    out = board.exec("import utwilio; print(utwilio.__version__, utwilio.__file__)").split()
    assert out == [VERSION, str(board.dir / "lib" / "utwilio" / "__init__.mpy")]


def test_secrets_never_appear_in_the_output(deployed):
    _, output = deployed
    assert_no_secret(output)
    assert config.MASK in output


def test_board_sends_over_http(deployed, server):
    board, _ = deployed
    r = run_on(board, SEND % server.url())
    assert r["statuscode"] == 201 and r["sid"] == "SM" + "a" * 32
    req = server.requests[0]
    assert req["path"] == "/2010-04-01/Accounts/%s/Messages.json" % SID
    assert dict(req["form"]) == {"To": TO, "From": FROM, "Body": "Greenhouse hot: 36.2\u00b0C"}
    assert req["headers"]["authorization"] == "Basic " + base64.b64encode(
        ("%s:%s" % (SID, TOKEN)).encode()).decode()


def test_board_sends_over_https_trusting_the_deployed_ca(deployed, tls_server):
    board, _ = deployed
    r = run_on(board, SEND % tls_server.url("localhost"))
    assert r["statuscode"] == 201, r
    assert len(tls_server.requests) == 1


def test_board_refuses_a_server_the_deployed_ca_did_not_sign(deployed):
    import trustme
    from httpserver import ScriptedServer

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    trustme.CA().issue_cert("localhost").configure_cert(ctx)
    with ScriptedServer(ssl_context=ctx) as stranger:
        r = run_on(deployed[0], SEND % stranger.url("localhost"))
        assert r["statuscode"] < 100 and stranger.requests == []


# --- the alert-only core ----------------------------------------------------------------

CORE_SENDS = """
import asyncio, json, sys
from utwilio import Twilio
from utwilio.outbox import Outbox
t = Twilio(%r, "secret", %r, base_url=%r, timeout=5)
codes = [t.send(%r, "sync")["statuscode"]]
async def main():
    codes.append((await t.send_async(%r, "async"))["statuscode"])
    got = []
    await t.send(%r, "callback", got.append)
    codes.append(got[0]["statuscode"])
asyncio.run(main())
print("RESULT", json.dumps({"codes": codes, "modules": sorted(
    m for m in sys.modules if m.startswith("utwilio"))}))
"""


def test_core_only_replaces_a_full_install_and_covers_send(server):
    with VirtualBoard() as board:
        assert cli("--port", board.port, "--no-ca").returncode == 0
        proc = cli("--port", board.port, "--core-only", "--no-ca")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        lib = board.dir / "lib" / "utwilio"
        assert sorted(p.name for p in lib.iterdir()) == sorted(
            n[:-3] + ".mpy" for n in files.CORE)
        r = run_on(board, CORE_SENDS % (SID, FROM, server.url(), TO, TO, TO))
    assert r["codes"] == [201, 201, 201]
    loaded = {m.split(".")[-1] for m in r["modules"] if m != "utwilio"}
    assert loaded <= {n[:-3] for n in files.CORE}, "send() needs a module the core lacks"
    assert len(server.requests) == 3


def test_source_install_replaces_mpy_files():
    with VirtualBoard() as board:
        assert cli("--port", board.port, "--core-only", "--no-ca").returncode == 0
        assert cli("--port", board.port, "--core-only", "--no-ca", "--source").returncode == 0
        names = sorted(p.name for p in (board.dir / "lib" / "utwilio").iterdir())
        assert names == sorted(files.CORE)
        assert board.exec("import utwilio; print(utwilio.__file__)").strip().endswith(
            "__init__.py")


# --- mip -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def device_http():
    """device/ over HTTP on 127.0.0.1, as GitHub would serve it."""
    handler = functools.partial(_QuietHandler, directory=str(ROOT / "device"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _listed(name):
    return sorted(dest for dest, _ in json.loads((ROOT / "device" / name).read_text())["urls"])


def test_mpremote_mip_installs_the_package(device_http):
    with VirtualBoard() as board:
        proc = board.mpremote("mip", "install", "--target", "lib",
                              device_http + "/package.json", timeout=120)
        assert "Done" in proc.stdout
        got = sorted("utwilio/" + p.name for p in (board.dir / "lib" / "utwilio").iterdir())
        assert got == _listed("package.json")
        assert board.exec("import utwilio.rest, utwilio.link; import utwilio; "
                          "print(utwilio.__version__)").strip() == VERSION


def test_mip_on_the_board_installs_the_core_alone(device_http):
    """mip as a board with Wi-Fi runs it (the firmware's own mip, in the VM)."""
    with VirtualBoard() as board:
        board.exec("import mip; mip.install(%r, target='lib')" % (device_http + "/core.json"),
                   timeout=120)
        got = sorted("utwilio/" + p.name for p in (board.dir / "lib" / "utwilio").iterdir())
        assert got == _listed("core.json") == sorted("utwilio/" + n for n in files.CORE)
        assert board.exec("import utwilio; print(utwilio.__version__)").strip() == VERSION


def test_manifests_are_current():
    assert manifest.stale() == [], (
        "device/package.json or core.json is out of date: run `python -m tools.deploy.manifest`")


def test_manifests_list_every_device_module_once():
    full = _listed("package.json")
    assert full == sorted("utwilio/" + n for n in files.modules())
    assert "utwilio/requests_transport.py" not in full
    assert set(_listed("core.json")) < set(full)
    for name in ("package.json", "core.json"):
        data = json.loads((ROOT / "device" / name).read_text())
        assert data["version"] == VERSION
        assert all(dest == src for dest, src in data["urls"])  # relative to the manifest


# --- errors ----------------------------------------------------------------------------

def test_a_missing_board_is_a_clear_error(tmp_path):
    proc = cli("--port", str(tmp_path / "ttyACM9"), "--account-sid", SID, "--from", FROM)
    assert proc.returncode == 1
    assert "no board at %s" % (tmp_path / "ttyACM9") in proc.stderr
    assert "Traceback" not in proc.stderr
    assert_no_secret(proc.stdout + proc.stderr)


def test_a_port_without_micropython_is_a_clear_error(tmp_path):
    """A serial device that never answers like a REPL (mpremote gives up after ~10 s)."""
    link = tmp_path / "tty"
    silent = subprocess.Popen(["socat", "PTY,link=%s,raw,echo=0" % link, "EXEC:sleep 60"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):
            if link.exists():
                break
            threading.Event().wait(0.01)
        with pytest.raises(DeployError, match="answered, but not as a MicroPython REPL"):
            boardio.probe(str(link))
    finally:
        silent.terminate()
        silent.wait(10)


def _info(**kw):
    info = {"version": [1, 29, 0], "platform": "rp2", "mpy": 0x0A06, "tls": True,
            "free": 100000, "block": 4096, "old": 0}
    info.update(kw)
    return info


def test_firmware_checks():
    boardio.check_firmware(_info(), files.MPY_VERSION)
    with pytest.raises(DeployError, match=r"runs MicroPython 1\.22\.2; utwilio needs 1\.23\.0"):
        boardio.check_firmware(_info(version=[1, 22, 2]), files.MPY_VERSION)
    with pytest.raises(DeployError, match="no tls module"):
        boardio.check_firmware(_info(tls=False), files.MPY_VERSION)
    with pytest.raises(DeployError, match="loads .mpy version 7 but mpy-cross makes version 6"):
        boardio.check_firmware(_info(mpy=7), files.MPY_VERSION)
    boardio.check_firmware(_info(mpy=7), files.MPY_VERSION, source=True)


def test_space_check():
    assert boardio.space_needed([1, 4096, 4097], 4096) == (2 + 2 + 3) * 4096
    boardio.check_space(_info(free=7 * 4096), [1, 4096, 4097])
    with pytest.raises(DeployError, match="too full.*need 28672 bytes, 24576 are free"):
        boardio.check_space(_info(free=6 * 4096), [1, 4096, 4097])
    boardio.check_space(_info(free=6 * 4096, old=4096), [1, 4096, 4097])  # replaced files
    boardio.check_space(_info(free=-1), [10 ** 9])  # no statvfs: the copy will tell


def test_mpremote_failures_are_explained():
    assert "filesystem is full" in boardio.explain(
        "/dev/ttyACM0", "cp x :lib/x\nTraceback...\nOSError: [Errno 28] ENOSPC")
    assert "no board at /dev/ttyACM0" in boardio.explain(
        "/dev/ttyACM0", "mpremote: failed to access /dev/ttyACM0 (it may be in use)")
    assert boardio.explain("p", "weird\n" * 40).count("weird") == 15


@pytest.mark.parametrize("answer, message", [
    (_info(version=[1, 20, 0]), "needs 1.23.0 or newer"),
    (_info(free=100), "too full"),
])
def test_install_refuses_before_copying_anything(monkeypatch, answer, message):
    """A too-old firmware or a full filesystem (the board's answer faked) stops the
    install before a file is written."""
    with VirtualBoard() as board:
        monkeypatch.setattr(boardio, "probe", lambda port: answer)
        proc_out = []
        with pytest.raises(DeployError, match=message):
            deploy_tool.deploy(board.port, {}, None, say=proc_out.append)
        assert not (board.dir / "lib" / "utwilio").exists()


def test_a_real_probe_reports_the_vm(deployed):
    info = boardio.probe(deployed[0].port)
    assert info["version"][:2] == [1, 29] and info["mpy"] & 0xFF == files.MPY_VERSION
    assert info["tls"] is True and info["free"] > 0 and info["old"] > 0


def test_local_files_are_private_and_removed(monkeypatch):
    seen = {}

    def spy(port, plan, say):
        seen["dir"] = plan.workdir
        seen["dir_mode"] = plan.workdir.stat().st_mode & 0o777
        seen["config_mode"] = (plan.workdir / "config.json").stat().st_mode & 0o777
        seen["config"] = json.loads((plan.workdir / "config.json").read_text())
        return VERSION

    monkeypatch.setattr(deploy_tool, "install", spy)
    settings = {"account_sid": SID, "auth_token": TOKEN, "from": FROM}
    assert deploy_tool.deploy("vboard", settings, say=lambda line: None) == VERSION
    assert seen["dir_mode"] == 0o700 and seen["config_mode"] == 0o600
    assert seen["config"] == settings
    assert not seen["dir"].exists()


def test_dry_run_shows_the_plan_with_secrets_masked(tmp_path):
    proc = cli("--dry-run", "--port", str(tmp_path / "no-board"), "--account-sid", SID,
               "--from", FROM, "--wifi-ssid", "home", "--core-only")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert_no_secret(out + proc.stderr)
    assert "utwilio core (alert-only) precompiled .mpy -> lib/utwilio/ (%d files" % len(
        files.CORE) in out
    assert "lib/utwilio/outbox.mpy" in out and "lib/utwilio/rest.mpy" not in out
    shown = json.loads(out.split("config.json: ", 1)[1].splitlines()[0])
    assert shown["auth_token"] == shown["wifi"]["password"] == config.MASK
    assert "ca.der: none (utwilio's bundled roots verify api.twilio.com)" in out
    assert "dry run: nothing was copied" in out


def test_settings_errors_are_clear_and_masked(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"account_sid": "AC123", "auth_token": TOKEN, "from": FROM}))
    proc = cli("--dry-run", "--config", str(bad))
    assert proc.returncode == 1 and "account_sid" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert_no_secret(proc.stdout + proc.stderr)
    proc = cli("--dry-run", "--account-sid", SID)
    assert "Twilio settings need from: --from" in proc.stderr
    proc = cli("--dry-run", "--account-sid", SID, "--from", FROM, env={"TWILIO_AUTH_TOKEN": ""})
    assert "need auth_token" in proc.stderr
    proc = cli("--dry-run", "--wifi-ssid", "home", env={"UTWILIO_WIFI_PASSWORD": ""})
    assert "Wi-Fi 'home' has no password" in proc.stderr
    proc = cli("--dry-run", "--core-only", "--agent-url", "http://127.0.0.1:9/",
               "--device-id", "greenhouse-1")
    assert "--core-only leaves out utwilio.link" in proc.stderr
    proc = cli("--dry-run", "--agent-url", "https://agent.example", "--device-id", "g1")
    assert "which CA signs the agent's certificate?" in proc.stderr
    assert cli("--account-sid", SID).returncode == 2  # argparse: --port is required


def test_settings_take_secrets_only_from_the_environment_when_asked():
    opts = SimpleNamespace(config=None, wifi_ssid=None, account_sid=None, api_key=None,
                           from_=None, to=None, base_url=None, agent_url=None, device_id=None)
    env = {"TWILIO_AUTH_TOKEN": TOKEN, "UTWILIO_WIFI_PASSWORD": WIFI_PASSWORD,
           "TWILIO_API_SECRET": "api-s3cret"}
    assert config.build(opts, env) == {}  # nothing asked: nothing written
    opts.account_sid, opts.from_, opts.api_key = SID, FROM, "SK" + "2" * 32
    got = config.build(opts, env)
    assert got["auth_token"] == "api-s3cret" and got["api_key"] == "SK" + "2" * 32
    opts.agent_url, opts.device_id = "http://127.0.0.1:8000", "greenhouse-1"
    got = config.build(opts, dict(env, UTWILIO_AGENT_TOKEN=AGENT_TOKEN))
    assert got["agent"] == {"url": "http://127.0.0.1:8000", "device_id": "greenhouse-1",
                            "token": AGENT_TOKEN}
    assert config.masked(got)["agent"]["token"] == config.MASK
    assert config.mask("a api-s3cret b %s" % AGENT_TOKEN, config.secrets(got)) == (
        "a %s b %s" % (config.MASK, config.MASK))


def test_config_file_is_written_0600(tmp_path):
    path = config.write({"auth_token": TOKEN, "from": "caf\u00e9"}, tmp_path / "config.json")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text(encoding="utf-8") == '{"auth_token":"%s","from":"caf\u00e9"}' % TOKEN


# --- certificates ----------------------------------------------------------------------

def test_twilio_root_comes_from_certifi():
    ca = certs.from_bundle()
    assert ca.name == certs.TWILIO_ROOT and ca.is_ca
    assert ca.der[:1] == b"\x30" and ca.expires.year >= 2030


def test_unknown_root_name_suggests_close_ones():
    with pytest.raises(DeployError, match="did you mean.*DigiCert Global Root G2"):
        certs.from_bundle("DigiCert Global Root")


def test_ca_files_pem_and_der(ca, tmp_path):
    der = ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode())
    (tmp_path / "ca.der").write_bytes(der)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    assert certs.from_file(tmp_path / "ca.der").der == der
    assert certs.from_file(tmp_path / "ca.pem").der == der
    (tmp_path / "two.pem").write_bytes(ca.cert_pem.bytes() * 2)
    with pytest.raises(DeployError, match="holds 2 certificates; the board keeps one"):
        certs.from_file(tmp_path / "two.pem")
    (tmp_path / "junk.der").write_bytes(b"not a certificate")
    with pytest.raises(DeployError, match="not one X.509 certificate"):
        certs.from_file(tmp_path / "junk.der")
    with pytest.raises(DeployError, match="cannot read the CA file"):
        certs.from_file(tmp_path / "missing.pem")
