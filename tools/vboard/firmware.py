# What the virtual board's VM runs at each power-on and reset (MicroPython, unix port,
# started as `micropython -i firmware.py`), before its REPL: what a board's firmware
# does before its prompt.
# - The board's own modules (`machine`, `network`: the host shims in stubs/) are loaded
#   as built-ins would be, so device code finds them without a copy on the filesystem.
# - The board's directory becomes its filesystem at `/` (a VfsPosix rooted there), so
#   `mpremote fs cp x :`, `:/lib/…` and `mip install` land in it, and `os.statvfs`
#   reports a board's flash (VBOARD_FLASH bytes in 4 KB blocks), not the host's disk.
# - The chip's temperature sensor (ADC 4) reads a room's 22 °C until a test sets it.
# - boot.py runs, then main.py when the board starts into its friendly REPL.
# Settings come from the environment: VBOARD_ROOT, VBOARD_MODULES, VBOARD_FLASH,
# VBOARD_MAIN ("1": run main.py).
# Its names start with "_": the REPL runs in this namespace, as after a board's boot.py.
import sys as _sys

_BLOCK = 4096
_ROOM_ADC = 14191  # the RP2040 sensor's reading at 22 °C


class _Flash:
    """The board's filesystem: a VfsPosix rooted at its directory (delegated to, not
    subclassed: a subclass breaks imports), reporting a board's flash in statvfs."""

    def __init__(self, root, size):
        import vfs

        self.root = root
        self.blocks = size // _BLOCK
        self.fs = vfs.VfsPosix(root)
        self.host = vfs.VfsPosix()

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def open(self, path, mode):
        return self.fs.open(path, mode)

    def ilistdir(self, path):
        return self.fs.ilistdir(path)

    def chdir(self, path):
        self.fs.chdir(path)

    def getcwd(self):
        return self.fs.getcwd()

    def mkdir(self, path):
        self.fs.mkdir(path)

    def remove(self, path):
        self.fs.remove(path)

    def rmdir(self, path):
        self.fs.rmdir(path)

    def stat(self, path):
        return self.fs.stat(path)

    def rename(self, old, new):
        # VfsPosix(root).rename joins both paths in one buffer: rename on the host
        self.host.rename(self._host(old), self._host(new))

    def _host(self, path):
        return self.root + path if path.startswith("/") else path

    def statvfs(self, path):
        free = max(0, self.blocks - 2 - self._used("/"))
        return (_BLOCK, _BLOCK, self.blocks, free, free, 0, 0, 0, 0, 255)

    def _used(self, path):
        blocks = 0
        for entry in self.fs.ilistdir(path):
            child = path.rstrip("/") + "/" + entry[0]
            if entry[1] == 0x4000:
                blocks += 1 + self._used(child)
            else:
                blocks += 1 + (self.fs.stat(child)[6] + _BLOCK - 1) // _BLOCK
        return blocks


def _setup():
    import os
    import sys

    import vfs

    sys.path[:] = [os.getenv("VBOARD_MODULES")]
    import machine
    import network  # noqa: F401

    machine.host_set_adc(4, _ROOM_ADC)
    vfs.umount("/")
    vfs.mount(_Flash(os.getenv("VBOARD_ROOT"), int(os.getenv("VBOARD_FLASH"))), "/")
    os.chdir("/")
    sys.path[:] = ["", ".frozen", "/lib"]


def _run(name):
    """Runs boot.py or main.py in the REPL's namespace, as a board does."""
    import os
    import sys

    try:
        os.stat(name)
    except OSError:
        return
    try:
        exec(open(name).read(), globals())
    except KeyboardInterrupt:
        print("KeyboardInterrupt in", name)
    except Exception as e:  # a board prints the traceback and goes on to its REPL
        sys.print_exception(e)


try:
    _setup()
except Exception as _e:
    _sys.print_exception(_e)
    print("vboard: the board's firmware could not start:", _e)
    _sys.exit(9)  # the relay: the board is dead
# The relay passes input from here on: a Ctrl-C interrupts boot.py or main.py, as on a
# board, never the firmware's own setup above.
_sys.stdout.write("\x00vboard-up\x00")
_run("boot.py")
if __import__("os").getenv("VBOARD_MAIN") == "1":
    _run("main.py")
