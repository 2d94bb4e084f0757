"""Shared fixtures for the agent's tests (helpers in agenttest.py)."""

import pytest
from agenttest import AppClient, Clock, make_config
from utwilio_agent.app import create_app
from utwilio_sandbox.server import SandboxServer


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app_client(clock):
    """The agent app on an in-memory store, no sockets, a clock the test moves."""
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
