"""Fixtures for the sandbox's own tests: an app without sockets, and live servers."""

import asyncio
import threading
import time
import warnings
from urllib.parse import parse_qsl

import pytest
import trustme
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's notice about httpx2
    from starlette.testclient import TestClient

from utwilio_sandbox.app import create_app
from utwilio_sandbox.server import SandboxServer, ServerThread
from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

AUTH = (DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)


def make_client(app):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's notice about httpx2
        client = TestClient(app)
    client.auth = AUTH
    return client


@pytest.fixture
def app():
    return create_app(step_seconds=3600)


@pytest.fixture
def client(app):
    with make_client(app) as client:
        yield client


@pytest.fixture(scope="session")
def live_server():
    with SandboxServer(step_seconds=3600) as server:
        yield server


@pytest.fixture
def live(live_server):
    """The session's live sandbox, reset to its configured state for this test."""
    live_server.sandbox.reset()
    return live_server


@pytest.fixture(scope="session")
def tls_ca():
    return trustme.CA()


@pytest.fixture(scope="session")
def tls_server(tls_ca, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert = tls_ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(folder / "cert.pem"), append=True)
    tls_ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    with SandboxServer(
        tls_cert=str(folder / "cert.pem"), tls_key=str(folder / "key.pem"), step_seconds=3600
    ) as server:
        server.ca_path = str(folder / "ca.pem")
        yield server


class Receiver(ServerThread):
    """A user's web app: records every request and answers from a script per path.

    `replies[path]` is a list of (status, body, content_type[, delay seconds]); each
    request takes the next one, the last one repeats. Unscripted paths get 200 ''.
    """

    def __init__(self):
        self.requests = []
        self.replies = {}
        self._changed = threading.Condition()
        super().__init__(
            Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])
        )

    async def _handle(self, request):
        body = await request.body()
        entry = {
            "method": request.method,
            "path": request.url.path,
            "url": str(request.url),
            "headers": dict(request.headers),
            "form": parse_qsl(body.decode(), keep_blank_values=True),
        }
        script = self.replies.get(request.url.path) or [(200, "", "text/plain")]
        reply = script.pop(0) if len(script) > 1 else script[0]
        if len(reply) > 3:
            await asyncio.sleep(reply[3])
        with self._changed:
            self.requests.append(entry)
            self._changed.notify_all()
        return Response(reply[1], status_code=reply[0], media_type=reply[2])

    def wait_for(self, count, path=None, timeout=15):
        """The first `count` requests to `path` (any path if None), once they came."""

        def matching():
            return [r for r in self.requests if path is None or r["path"] == path]

        with self._changed:
            self._changed.wait_for(lambda: len(matching()) >= count, timeout)
            found = matching()
        assert len(found) >= count, "expected %d requests to %s, got %r" % (count, path, found)
        return found[:count]


def wait_until(predicate, timeout=15, what="the condition"):
    """Wait for a background effect; fails (not a timing check) only if it never happens."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting for %s" % what)
        time.sleep(0.01)


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def fast():
    """A live sandbox whose messages move a step as soon as the previous one is done."""
    with SandboxServer(step_seconds=0) as server:
        yield server


@pytest.fixture
def wait():
    return wait_until


@pytest.fixture
def make_client_for():
    return make_client
