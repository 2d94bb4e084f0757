"""Verified TLS with no file but the package: the bundled roots (utwilio.roots) equal
certifi's and load on both runtimes; CAs load on the first HTTPS request only, several
at once; a PEM or a path where DER bytes belong is an error that says how to fix it;
and a package installed with mip verifies a server its bundled roots sign."""

import functools
import http.server
import shutil
import ssl
import sys
import threading
from pathlib import Path

import pytest
from devicevm import DEVICE, result

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.deploy import roots  # noqa: E402
from tools.vboard import VirtualBoard  # noqa: E402


def der(ca):
    return ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode())


def test_bundled_roots_are_certifis_copies():
    from utwilio.roots import ROOTS

    assert list(ROOTS) == [d for _, d in roots.ders()]
    roots.main(["--check"])  # and the file is what the generator writes today


def test_bundled_roots_load_and_nothing_else_without_ca_der(runtime, tmp_path):
    out = result(runtime, "ca_load.py", {}, cwd=tmp_path)
    assert out == {"loaded": 1, "sizes": [len(roots.ders()[0][1])]}


def test_ca_der_on_the_board_is_trusted_beside_the_bundled_roots(runtime, tmp_path, ca):
    (tmp_path / "ca.der").write_bytes(der(ca))
    out = result(runtime, "ca_load.py", {}, cwd=tmp_path)
    assert out["loaded"] == 2 and out["sizes"][1] == len(der(ca))


def test_several_cas_are_accepted_as_a_list(runtime, tmp_path, ca, tls_server):
    import trustme

    (tmp_path / "other.der").write_bytes(der(trustme.CA()))
    (tmp_path / "ours.der").write_bytes(der(ca))
    out = result(runtime, "send.py", {"base_url": tls_server.url("localhost"),
                                      "ca": [str(tmp_path / "other.der"),
                                             str(tmp_path / "ours.der")],
                                      "sends": [{"to": "+15551234567", "message": "hi"}]})
    assert out[0]["statuscode"] == 201


@pytest.mark.parametrize("where", ["cadata", "ca.der"])
def test_pem_where_der_belongs_says_how_to_convert(runtime, tmp_path, ca, where):
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem.bytes())
    if where == "ca.der":
        (tmp_path / "ca.der").write_bytes(ca.cert_pem.bytes())
    out = result(runtime, "ca_load.py", {"cadata": "ca.pem" if where == "cadata" else None},
                 cwd=tmp_path)
    assert out["error"] == "ValueError"
    assert out["message"].startswith(where + " is a PEM certificate")
    assert "openssl x509 -in ca.pem -outform der -out ca.der" in out["message"]


def test_a_path_given_as_cadata_says_to_read_the_file(runtime, tmp_path):
    out = result(runtime, "ca_load.py", {"cadata": {"str": "ca.der"}}, cwd=tmp_path)
    assert out["error"] == "TypeError"
    assert "cadata=open('ca.der', 'rb').read()" in out["message"]


def test_no_tls_needed_nothing_loaded(runtime, tmp_path, server):
    """Twilio() over HTTP, and respond(), never import the CA modules."""
    out = result(runtime, "rest_lazy.py", {"base_url": server.url()}, cwd=tmp_path)
    assert out["statuscode"] == 201
    assert not {"utwilio.ca", "utwilio.roots"} & set(out["modules"])


def test_https_client_made_without_any_ca_file_raises_nothing(runtime, tmp_path):
    code = ("from utwilio import Twilio\n"
            "t = Twilio('AC' + '0' * 32, 'x', '+15550000001')\n"
            "print('RESULT', '{\"made\": true, \"reply\": %d}' % len(t.respond(None, 'ok')[2]))\n")
    (tmp_path / "main.py").write_text(code)
    assert result(runtime, str(tmp_path / "main.py"), cwd=tmp_path)["made"] is True


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_mip_install_then_send_verifies_with_the_bundled_roots(tls_server, ca, tmp_path):
    """The package served as GitHub would, its roots.py holding the roots of a test CA
    (no one else's key signs a local server); mip installs it; the board sends over
    verified TLS with no ca.der and no cadata."""
    served = tmp_path / "device"
    shutil.copytree(DEVICE, served, ignore=shutil.ignore_patterns("__pycache__"))
    (served / "utwilio" / "roots.py").write_text(roots.render([("test CA", der(ca))], "a test"))
    handler = functools.partial(_Quiet, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with VirtualBoard() as board:
            proc = board.mpremote("mip", "install", "--target", "lib", "http://127.0.0.1:%d/"
                                  "core.json" % httpd.server_address[1], timeout=120)
            assert "Done" in proc.stdout
            assert not (board.dir / "ca.der").exists()
            out = board.exec(
                "from utwilio import Twilio\n"
                "t = Twilio('AC' + '0' * 32, 'x', '+15550000001', base_url=%r)\n"
                "r = t.send('+15551234567', 'hi')\n"
                "print('RESULT', r['statuscode'], r['sid'])\n" % tls_server.url("localhost"),
                timeout=60)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert "RESULT 201 SM" in out, out
    assert len(tls_server.requests) == 1
