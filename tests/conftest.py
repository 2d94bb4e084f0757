import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# pytest imports test files by path (--import-mode=importlib: test files in different
# folders may share a name), so the helper modules' folders go on the path here.
for p in (ROOT / "stubs", ROOT / "device", ROOT / "tests", ROOT / "tests" / "agent",
          ROOT / "tests" / "sandbox"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import sitecustomize  # noqa: E402,F401  (stubs/: MicroPython's time extras on CPython)
from devicevm import RUNTIMES  # noqa: E402
from httpserver import ScriptedServer  # noqa: E402


@pytest.fixture(params=RUNTIMES)
def runtime(request):
    """Runs the test once on CPython and once on the real MicroPython VM."""
    return request.param


@pytest.fixture
def server():
    with ScriptedServer() as s:
        yield s


@pytest.fixture(scope="session")
def ca():
    import trustme

    return trustme.CA()


@pytest.fixture
def tls_server(ca):
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(ctx)
    with ScriptedServer(ssl_context=ctx) as s:
        yield s
