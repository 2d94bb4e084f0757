"""A virtual board: the MicroPython unix port behind a pseudo-terminal, driven by
`mpremote` as if it were an ESP32 or a Pico W on a USB serial port.

    with VirtualBoard() as board:
        subprocess.run(["mpremote", "connect", board.port, "resume", "exec", "print(1)"])

socat joins a pty (`board.port`, a symlink to /dev/pts/N) to the VM's own pty, both
raw. The VM's working directory `board.dir` is the board's filesystem, so `mpremote
fs cp x :y` lands in `board.dir/y`; its sys.path is ['', '.frozen', '<dir>/lib'], so
`mpremote mip install` finds lib/ as on a board.

Every mpremote command must include `resume`: without it mpremote soft-resets the
board with Ctrl-D in the raw REPL, which ends the unix port (it has no soft reset),
and the board is gone. Paths on the board should be relative (`:lib/utwilio`): an
absolute one (`:/lib`) is the host's. The `micropython` in the venv is a Python
wrapper around a C extension; raw REPL, raw-paste mode, Ctrl-A/B/C all behave under
the pty (checked with mpremote exec, run, fs cp and mip install)."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MICROPYTHON = Path(sys.executable).parent / "micropython"
MPREMOTE = Path(sys.executable).parent / "mpremote"
SETUP = Path(__file__).resolve().parents[1] / "setup-system.sh"


class BoardError(RuntimeError):
    pass


def socat():
    """-> the socat executable, or BoardError saying how to install it."""
    found = shutil.which("socat")
    if found is None:
        raise BoardError("the virtual board needs socat: run `sudo sh %s` "
                         "(apt-get install socat)" % SETUP)
    return found


class VirtualBoard:
    """`dir`: the board's filesystem (a new temporary directory, removed on exit,
    unless given); `heapsize`: the VM's heap in bytes (a Pico W has ~190 KB)."""

    def __init__(self, dir=None, heapsize=None, link=None, micropython=MICROPYTHON):
        self._own_dir = dir is None
        self.dir = Path(dir or tempfile.mkdtemp(prefix="vboard-")).resolve()
        self.port = str(link or self.dir.with_name(self.dir.name + ".tty"))
        self.heapsize = heapsize
        self.micropython = Path(micropython)
        self.proc = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return "<VirtualBoard %s dir=%s>" % (self.port, self.dir)

    def command(self):
        vm = [str(self.micropython)]
        if self.heapsize:
            vm += ["-X", "heapsize=%d" % self.heapsize]
        # socat splits EXEC's command line on spaces; our paths have none.
        if any(" " in part for part in vm):
            raise BoardError("the MicroPython path must not contain spaces: %s" % vm[0])
        return [socat(), "PTY,link=%s,raw,echo=0" % self.port,
                "EXEC:%s,pty,raw,echo=0,stderr" % " ".join(vm)]

    def start(self, timeout=10):
        try:
            if not self.micropython.exists():
                raise BoardError("no MicroPython unix port at %s: `make setup` installs it"
                                 % self.micropython)
            (self.dir / "lib").mkdir(parents=True, exist_ok=True)
            env = dict(os.environ, MICROPYPATH=".frozen:%s" % (self.dir / "lib"))
            self.proc = subprocess.Popen(self.command(), cwd=self.dir, env=env,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, start_new_session=True)
            self._wait_for_repl(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_for_repl(self, timeout):
        """Waits for the REPL's prompt, so the first mpremote command finds a board."""
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.port):
            self._check_alive()
            if time.monotonic() > deadline:
                raise BoardError("socat made no pty at %s in %ds" % (self.port, timeout))
            time.sleep(0.01)
        fd = os.open(self.port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            os.write(fd, b"\r")
            seen = b""
            while not seen.endswith(b">>> "):
                self._check_alive()
                if time.monotonic() > deadline:
                    raise BoardError("the VM printed no prompt in %ds: %r" % (timeout, seen))
                try:
                    seen = (seen + os.read(fd, 4096))[-200:]
                except BlockingIOError:
                    time.sleep(0.01)
        finally:
            os.close(fd)

    def _check_alive(self):
        if self.proc.poll() is not None:
            raise BoardError("the virtual board exited (%s): %s" % (
                self.proc.returncode, self.proc.stderr.read().decode(errors="replace")))

    def mpremote(self, *args, check=True, timeout=60):
        """Runs `mpremote connect <port> resume <args…>` -> CompletedProcess (text)."""
        proc = subprocess.run([str(MPREMOTE), "connect", self.port, "resume", *args],
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise BoardError("mpremote %s failed (exit %d):\n%s%s" % (
                " ".join(args)[:200], proc.returncode, proc.stdout, proc.stderr))
        return proc

    def exec(self, code, timeout=60):
        """Runs `code` on the board -> what it printed."""
        return self.mpremote("exec", code, timeout=timeout).stdout

    def pids(self):
        """-> [socat's pid, then the VM's]: the processes this board stops."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        return [self.proc.pid] + _children(self.proc.pid)

    def stop(self):
        """Stops the VM and socat (by PID) and removes the board's files."""
        if self.proc is not None:
            # The VM first: socat then reaps it and exits by itself.
            for sig, pids in ((signal.SIGTERM, self.pids()[1:]), (signal.SIGTERM, self.pids()),
                              (signal.SIGKILL, self.pids())):
                for pid in reversed(pids):
                    _kill(pid, sig)
                try:
                    self.proc.wait(5)
                    break
                except subprocess.TimeoutExpired:
                    pass
            self.proc.stderr.close()
            self.proc = None
        if os.path.islink(self.port):
            os.unlink(self.port)
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def _children(pid):
    found = []
    try:
        for task in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                found += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return found


def _kill(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
