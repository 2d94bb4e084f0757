"""Shared fixtures for the agent's tests (helpers in agenttest.py).

Every test here runs twice, once per store: SQLite, then PostgreSQL (a real server,
started once for the session by tests/pgserver.py, a fresh database per test). A test
module that never touches a store sets `ONE_STORE = True`."""

import itertools

import agenttest
import pytest
from agenttest import AppClient, Clock, make_config
from pgserver import PgServer
from utwilio_agent.app import create_app
from utwilio_sandbox.server import SandboxServer

STORES = ("sqlite", "postgres")
_names = itertools.count()


def pytest_generate_tests(metafunc):
    if "store_kind" in metafunc.fixturenames and not getattr(metafunc.module, "ONE_STORE", False):
        metafunc.parametrize("store_kind", STORES, scope="function")


@pytest.fixture(scope="session")
def pg():
    """One PostgreSQL server for the session, on a free loopback port."""
    with PgServer() as server:
        yield server


@pytest.fixture
def store_kind(request):
    return getattr(request, "param", "sqlite")


@pytest.fixture(autouse=True)
def database(store_kind, request):
    """The database make_config() gives: in memory (SQLite) or a fresh PostgreSQL one."""
    if store_kind == "postgres":
        url = request.getfixturevalue("pg").create_database("t%d" % next(_names))
    else:
        url = ":memory:"
    agenttest.DATABASE = url
    yield url
    agenttest.DATABASE = ":memory:"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app_client(clock):
    """The agent app on the test's store, no sockets, a clock the test moves."""
    with AppClient(create_app(make_config(), clock=clock)) as client:
        yield client


@pytest.fixture(scope="session")
def sandbox_server():
    """The Twilio sandbox on a loopback socket; messages go straight to delivered."""
    with SandboxServer(step_seconds=0) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server):
    sandbox_server.sandbox.reset()
    return sandbox_server
