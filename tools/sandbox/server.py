"""Run the sandbox (or any ASGI app) on a real socket in a background thread.

with SandboxServer() as sandbox:
    sandbox.url          # 'http://127.0.0.1:54321'
    sandbox.settings     # the account, credentials and numbers in use
"""

import socket
import threading
import time

import uvicorn

from .app import create_app


class ServerThread:
    """An ASGI app on a loopback socket in a background thread (webhook receivers too)."""

    def __init__(self, app, host="127.0.0.1", port=0, tls_cert=None, tls_key=None):
        self.app = app
        self.host, self._port = host, port
        self._tls = (tls_cert, tls_key) if tls_cert else None
        self._server = None
        self._thread = None

    @property
    def port(self):
        return self._port

    @property
    def url(self):
        return "%s://%s:%d" % ("https" if self._tls else "http", self.host, self._port)

    def start(self, timeout=10.0):
        # IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets; without it each
        # keep-alive response after the first waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))
        self._port = sock.getsockname()[1]
        tls = {"ssl_certfile": self._tls[0], "ssl_keyfile": self._tls[1]} if self._tls else {}
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5, **tls
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name="server-%d" % self._port,
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the server did not start on %s" % self.url)
            time.sleep(0.01)
        return self

    def stop(self):
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(10)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


class SandboxServer(ServerThread):
    def __init__(
        self, host="127.0.0.1", port=0, db_path=":memory:", tls_cert=None, tls_key=None, **overrides
    ):
        super().__init__(create_app(db_path, **overrides), host, port, tls_cert, tls_key)
        self.settings = self.app.state.sandbox.settings

    @property
    def sandbox(self):
        """The running Sandbox (store, settings, scheduler), for tests that look inside."""
        return self.app.state.sandbox

    def advance_until(self, kind, sid, statuses, timeout=30.0):
        """Move the clock one lifecycle step at a time until the `kind` record `sid`
        reaches one of `statuses`: how tests and the self-check drive a sandbox whose
        clock moves only when told (a large step_seconds). Raises if it never does."""

        def status():
            return self.sandbox.store.get(kind, sid).data["status"]

        deadline = time.monotonic() + timeout
        while status() not in statuses:
            if time.monotonic() > deadline:
                raise RuntimeError("%s %s stuck at %s, not %s" % (kind, sid, status(), statuses))
            before, step_end = status(), time.monotonic() + 0.5
            self.sandbox.scheduler.advance(self.settings.step_seconds)
            while status() == before and time.monotonic() < step_end:
                time.sleep(0.01)
        return status()
