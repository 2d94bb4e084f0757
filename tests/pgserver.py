"""A throwaway PostgreSQL server for the tests and the benchmarks: `initdb` into a
temporary directory (as the `postgres` user when run as root: initdb refuses root),
listening on a free port on 127.0.0.1 only, removed when stopped.

    with PgServer() as pg:
        url = pg.create_database("t1")   # postgresql://postgres@127.0.0.1:PORT/t1

    python tests/pgserver.py      # runs one until Ctrl-C and prints its URL

Debian's `postgresql` package provides the binaries (tools/setup-system.sh installs it)."""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def bindir():
    """The newest installed PostgreSQL's bin directory (Debian keeps them apart)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(os.path.realpath(initdb))
    raise RuntimeError("PostgreSQL is not installed: run `make system` (or "
                       "`apt-get install postgresql`)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """`fsync` off by default: the tests kill agents, never the machine; benchmarks
    pass durable=True to measure what a real deployment commits."""

    def __init__(self, durable=False):
        self.durable = durable
        self.bin = bindir()
        self.dir = None
        self.port = None
        self.url = None
        self._as = []

    def _run(self, *args, check=True):
        return subprocess.run(self._as + list(args), check=check, capture_output=True,
                              text=True, timeout=120)

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="utwilio-pg-")
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(self.dir, "data")
        self._run(os.path.join(self.bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        self.port = free_port()
        options = "-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=200" % (
            self.port, self.dir)
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._data = data
        self._options = options
        self._ctl("start")
        self.url = "postgresql://postgres@127.0.0.1:%d/postgres" % self.port
        return self

    def _ctl(self, action, mode="fast"):
        args = [os.path.join(self.bin, "pg_ctl"), "-D", self._data, "-m", mode, "-w"]
        if action == "start":
            args += ["-o", self._options, "-l", os.path.join(self.dir, "log"), "start"]
        else:
            args.append(action)
        result = self._run(*args, check=False)
        if result.returncode != 0 and action == "start":
            log = open(os.path.join(self.dir, "log")).read()[-2000:]
            raise RuntimeError("PostgreSQL did not start: %s %s" % (result.stderr, log))

    def stop_server(self, mode="fast"):
        """Stops the server but keeps its data (`restart` brings it back)."""
        self._ctl("stop", mode)

    def restart(self):
        self._ctl("start")

    def psql(self, sql, database="postgres"):
        result = self._run(os.path.join(self.bin, "psql"), "-h", "127.0.0.1", "-p",
                           str(self.port), "-U", "postgres", "-d", database, "-At",
                           "-v", "ON_ERROR_STOP=1", "-c", sql)
        return result.stdout

    def create_database(self, name):
        self.psql('CREATE DATABASE "%s"' % name)
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port, name)

    def stop(self):
        if self.dir is None:
            return
        self._ctl("stop", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the server on kill too
    with PgServer(durable="--durable" in sys.argv) as server:
        print(server.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except (KeyboardInterrupt, SystemExit):
            pass
