"""Fixtures for the sandbox's own tests: an app without sockets, and live servers."""

import warnings

import pytest
import trustme

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's notice about httpx2
    from starlette.testclient import TestClient

from utwilio_sandbox.app import create_app
from utwilio_sandbox.server import SandboxServer
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
