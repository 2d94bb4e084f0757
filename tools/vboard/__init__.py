"""A virtual board: the MicroPython unix port behind a pseudo-terminal, driven by
`mpremote` exactly as a Pico W or an ESP32 on a USB serial port.

    with VirtualBoard() as board:
        subprocess.run(["mpremote", "connect", board.port, "exec", "print(1)"])

`board.port` is a pty (a symlink to /dev/pts/N) made with Python's own `pty` module;
a thread of this process relays it to the VM's pty. Like a board:
- the filesystem is `board.dir`, seen by the VM as `/` (`mpremote fs cp x.py :`,
  `:lib/`, `mip install` land there); `os.statvfs` reports a board's flash;
- `machine` and `network` are part of the board (the host shims in stubs/), the
  temperature sensor reads a room's 22 °C;
- Ctrl-D, `mpremote soft-reset`, `mpremote reset` and every mpremote command without
  `resume` reboot the board: the unix port exits there, and the relay starts a new VM
  (clean module state, boot.py, main.py in the friendly REPL) and prints
  "MPY: soft reboot" as a board does;
- a board whose VM cannot start again is dead: `board.error` says why, the relay
  answers anything sent to the port with that reason, and `on_death` is called."""

import fcntl
import os
import pty
import select
import signal
import sys
import tempfile
import termios
import threading
import time
import tty
from pathlib import Path

MICROPYTHON = Path(sys.executable).parent / "micropython"
MPREMOTE = Path(sys.executable).parent / "mpremote"
ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = Path(__file__).resolve().parent / "firmware.py"
MODULES = ROOT / "stubs"  # machine.py, network.py: the board's own modules
PICO_W_FLASH = 848 * 1024  # the Pico W's filesystem
PICO_W_HEAP = 192 * 1024  # a Pico W's MicroPython heap (~188 KB free after boot)
PROMPT = b">>> "
UP = b"\x00vboard-up\x00"  # what firmware.py prints once set up, before boot.py
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n>"
SOFT_REBOOT = b"MPY: soft reboot\r\n"
# exit statuses of the VM after machine.reset(), an overdue WDT, machine.deepsleep()
HARD_RESETS = ("exited with status 2", "exited with status 3", "exited with status 4")
FIRMWARE_FAILED = "exited with status 9"  # firmware.py could not set the board up


class BoardError(RuntimeError):
    pass


class VirtualBoard:
    """`dir`: the board's filesystem (a new temporary directory, removed on exit,
    unless given); `heapsize`: the VM's heap in bytes (a Pico W's by default); `flash`:
    the filesystem's size in bytes; `on_death(reason)`: called (from the relay's
    thread) when the VM cannot be started again."""

    def __init__(self, dir=None, heapsize=PICO_W_HEAP, link=None, micropython=MICROPYTHON,
                 flash=PICO_W_FLASH, on_death=None):
        self._own_dir = dir is None
        self.dir = Path(dir or tempfile.mkdtemp(prefix="vboard-")).resolve()
        self.port = str(link or self.dir.with_name(self.dir.name + ".tty"))
        self.heapsize = heapsize
        self.flash = flash
        self.micropython = Path(micropython)
        self.on_death = on_death
        self.error = None  # why the board died
        self.reboots = 0
        self._vm_pid = None
        self._vm_fd = self._vm_slave = self._vm_end = None
        self._user_fd = self._user_slave = None
        self._thread = None
        self._stopping = False
        self._wake = None
        self._raw = False  # the VM's REPL is in raw mode (mpremote's)
        self._rebooting_raw = False  # a new VM's output is held back until its prompt
        self._up = False  # the firmware runs: input may go to the VM
        self._replay = b""
        self._tail = b""
        self._ready = threading.Event()

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
        return vm + ["-i", str(FIRMWARE)]

    def start(self, timeout=15):
        """Powers the board on; returns once its firmware runs (boot.py, main.py next)."""
        try:
            if not self.micropython.exists():
                raise BoardError("no MicroPython unix port at %s: `make setup` installs it"
                                 % self.micropython)
            (self.dir / "lib").mkdir(parents=True, exist_ok=True)
            self._user_fd, self._user_slave = pty.openpty()
            tty.setraw(self._user_slave)
            os.set_blocking(self._user_fd, False)
            if os.path.islink(self.port):
                os.unlink(self.port)
            os.symlink(os.ttyname(self._user_slave), self.port)
            self._wake = os.pipe()
            self._spawn(run_main=True)
            self._thread = threading.Thread(target=self._relay, name="vboard-relay",
                                            daemon=True)
            self._thread.start()
            if not self._ready.wait(timeout):
                raise BoardError("the VM did not start in %ds: %r" % (timeout, self._tail))
            if self.error:
                raise BoardError(self.error)
        except BaseException:
            self.stop()
            raise

    # -- the VM ------------------------------------------------------------------------

    def _spawn(self, run_main):
        env = dict(os.environ, VBOARD_ROOT=str(self.dir), VBOARD_MODULES=str(MODULES),
                   VBOARD_FLASH=str(self.flash), VBOARD_MAIN="1" if run_main else "0")
        env.pop("MICROPYPATH", None)
        argv = self.command()
        fd, slave = pty.openpty()
        # raw, but Ctrl-C still interrupts running code (SIGINT), as on a board; set
        # before the fork so that nothing sent early is echoed
        tty.setraw(slave)
        attrs = termios.tcgetattr(slave)
        attrs[3] |= termios.ISIG
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        pid = os.fork()
        if pid == 0:  # the child: the pty is its stdio and controlling terminal
            try:
                os.setsid()
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
                for n in (0, 1, 2):
                    os.dup2(slave, n)
                os.closerange(3, 256)
                os.chdir(self.dir)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        # The relay keeps the VM's end of the pty open: what was typed and the VM never
        # read is still there when it ends (see _reap). So the pty never reports the
        # VM's end: a pidfd does.
        self._vm_pid, self._vm_fd, self._vm_slave = pid, fd, slave
        self._vm_end = os.pidfd_open(pid)
        self._started_at = time.monotonic()
        self._up = False
        self._tail = b""

    def _reap(self):
        """-> how the VM ended, in words, and what was typed that it never read."""
        pid, self._vm_pid = self._vm_pid, None
        while select.select([self._vm_fd], [], [], 0)[0]:  # its last words
            try:
                data = os.read(self._vm_fd, 4096)
            except OSError:
                break
            if not data:
                break
            self._from_vm(data)
        unread = b""
        os.set_blocking(self._vm_slave, False)  # no other process shares it now
        while True:
            try:
                data = os.read(self._vm_slave, 4096)
            except OSError:  # BlockingIOError: nothing more
                break
            if not data:
                break
            unread += data
        for fd in (self._vm_fd, self._vm_slave, self._vm_end):
            os.close(fd)
        self._vm_fd = self._vm_slave = self._vm_end = None
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return "ended", unread
        if os.WIFSIGNALED(status):
            return "was killed by signal %d (%s)" % (
                os.WTERMSIG(status), signal.Signals(os.WTERMSIG(status)).name), unread
        return "exited with status %d" % os.WEXITSTATUS(status), unread

    def _vm_ended(self):
        how, unread = self._reap()
        if self._stopping:
            return
        if not self._up or how == FIRMWARE_FAILED:
            self._die("the MicroPython VM %s as it started: %s" % (
                how, self._tail.decode(errors="replace").strip()[-600:] or "(no output)"))
            return
        self.reboots += 1
        if "signal" in how:  # not a reset the board asked for: say so, as a brownout shows
            self._say("vboard: the MicroPython VM %s; the board restarts" % how)
        # machine.reset() (and the watchdog, deepsleep) restart the board as at power-on,
        # in the friendly REPL; Ctrl-D and sys.exit() soft-reboot it into the same REPL.
        raw = self._raw = self._raw and how not in HARD_RESETS
        # What was typed while the old VM was ending (mpremote's Ctrl-C, Ctrl-A for the
        # next command) and it never read would be lost: the new VM gets it once it runs,
        # as a board's UART holds it through a reset.
        self._replay = b"" if raw else unread
        if how not in HARD_RESETS:
            self._to_user(SOFT_REBOOT)
        try:
            self._spawn(run_main=not raw)
        except OSError as e:
            self._die("the MicroPython VM could not be started again: %s" % e)
            return
        self._rebooting_raw = raw

    def _say(self, text):
        print(text, file=sys.stderr, flush=True)
        self._to_user(b"\r\n" + text.encode() + b"\r\n")

    def _die(self, reason):
        self.error = "the virtual board is dead: %s" % reason
        self._rebooting_raw, self._up = False, True
        self._ready.set()
        self._to_user(b"\r\nvboard: " + self.error.encode() + b"\r\n")
        if self.on_death is not None:
            self.on_death(self.error)

    # -- the relay ---------------------------------------------------------------------

    def _to_user(self, data):
        """Writes to the port; dropped when nobody reads it (as a UART drops)."""
        try:
            os.write(self._user_fd, data)
        except (BlockingIOError, OSError):
            pass

    def _from_vm(self, data):
        self._tail = (self._tail + data)[-2000:]
        if not self._up:
            # Before the firmware's mark the VM is a CPython process starting up, then
            # the firmware setting the board up: a Ctrl-C then would kill the VM or break
            # the board, so input waits, and the output is not the board's.
            if UP not in self._tail:
                return
            self._up = True
            self._ready.set()
            if self._replay:
                os.write(self._vm_fd, self._replay)
                self._replay = b""
            data = self._tail = self._tail.split(UP, 1)[1]
        if self._rebooting_raw:
            if PROMPT in self._tail:
                # back into the raw REPL mpremote was in: the VM prints its banner
                self._rebooting_raw = False
                self._tail = b""
                os.write(self._vm_fd, b"\x01")
            return
        self._to_user(data)
        raw, friendly = self._tail.rfind(RAW_BANNER), self._tail.rfind(PROMPT)
        if raw != friendly:  # the later one tells the REPL's mode
            self._raw = raw > friendly

    def _relay(self):
        while not self._stopping:
            watched = [self._wake[0], self._user_fd]
            if self._vm_fd is not None:
                watched += [self._vm_fd, self._vm_end]
            if self._rebooting_raw or not self._up:
                watched.remove(self._user_fd)  # input waits for the new VM
            ready = select.select(watched, [], [])[0]
            if self._stopping:
                return
            if self._vm_fd is not None and self._vm_end in ready:
                self._vm_ended()
                continue
            if self._vm_fd is not None and self._vm_fd in ready:
                try:
                    data = os.read(self._vm_fd, 4096)
                except OSError:
                    data = b""
                if data:
                    self._from_vm(data)
                continue
            if self._user_fd in ready:
                try:
                    data = os.read(self._user_fd, 4096)
                except (BlockingIOError, OSError):
                    continue
                if self.error:
                    self._to_user(b"\r\nvboard: " + self.error.encode() + b"\r\n")
                elif self._vm_fd is not None:
                    try:
                        os.write(self._vm_fd, data)
                    except OSError:
                        pass  # the VM is ending: its end is read next

    # -- use -----------------------------------------------------------------------------

    def mpremote(self, *args, check=True, timeout=60, resume=True):
        """Runs `mpremote connect <port> [resume] <args…>` -> CompletedProcess (text).
        `resume` keeps the board's state between calls (no reboot)."""
        import subprocess

        cmd = [str(MPREMOTE), "connect", self.port] + (["resume"] if resume else [])
        proc = subprocess.run(cmd + list(args), capture_output=True, text=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise BoardError("mpremote %s failed (exit %d):\n%s%s%s" % (
                " ".join(args)[:200], proc.returncode, proc.stdout, proc.stderr,
                "\n" + self.error if self.error else ""))
        return proc

    def exec(self, code, timeout=60):
        """Runs `code` on the board -> what it printed."""
        return self.mpremote("exec", code, timeout=timeout).stdout

    def pids(self):
        """-> [the VM's pid] while it runs: the process this board stops."""
        return [self._vm_pid] if self._vm_pid else []

    def stop(self):
        """Stops the VM (by its pid) and the relay, and removes the board's files."""
        self._stopping = True
        if self._wake is not None:
            os.write(self._wake[1], b"x")
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._vm_pid:
            pid = self._vm_pid
            for sig in (signal.SIGTERM, signal.SIGKILL):
                _kill(pid, sig)
                if _reaped(pid, 5):
                    break
            self._vm_pid = None
        for fd in (self._vm_fd, self._vm_slave, self._vm_end, self._user_fd,
                   self._user_slave) + (self._wake or ()):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._vm_fd = self._vm_slave = self._vm_end = None
        self._user_fd = self._user_slave = self._wake = None
        if os.path.islink(self.port):
            os.unlink(self.port)
        if self._own_dir:
            import shutil

            shutil.rmtree(self.dir, ignore_errors=True)


def _reaped(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            return True
        time.sleep(0.02)
    return False


def _kill(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
