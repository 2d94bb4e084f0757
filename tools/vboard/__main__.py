"""`python -m tools.vboard`: powers on a virtual board, prints its port and its
filesystem, and keeps it up until Ctrl-C (or SIGTERM). Then use it as a board:

    mpremote connect <port> exec "import sys; print(sys.implementation)"
    mpremote connect <port> fs cp device/examples/first_alert.py :
    python -m tools.deploy --port <port> ...

If its VM cannot start again, it says why and exits with status 1."""

import argparse
import os
import signal
import sys

from tools.vboard import PICO_W_FLASH, PICO_W_HEAP, BoardError, VirtualBoard


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tools.vboard", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version="python -m tools.vboard %s"
                   % __import__("importlib.metadata").metadata.version("utwilio"))
    p.add_argument("--dir", help="the board's filesystem (default: a new temporary "
                   "directory, removed on exit)")
    p.add_argument("--link", help="path of the board's pty (default: <dir>.tty)")
    p.add_argument("--heapsize", type=int, default=PICO_W_HEAP,
                   help="the VM's heap in bytes (default: a Pico W's %d)" % PICO_W_HEAP)
    p.add_argument("--flash", type=int, default=PICO_W_FLASH,
                   help="the filesystem's size in bytes (default: a Pico W's %d)" % PICO_W_FLASH)
    a = p.parse_args(argv)
    died = []

    def on_death(reason):
        died.append(reason)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1 if died else 0))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in background
    try:
        with VirtualBoard(dir=a.dir, heapsize=a.heapsize, link=a.link, flash=a.flash,
                          on_death=on_death) as board:
            print("port %s" % board.port)
            print("dir  %s" % board.dir, flush=True)
            print("a MicroPython board (its / is the dir above); e.g.:\n"
                  "  mpremote connect %s exec \"print('hello')\"\n"
                  "Ctrl-C stops the board." % board.port, flush=True)
            try:
                signal.pause()
            finally:
                if died:
                    print("vboard: %s" % died[0], file=sys.stderr, flush=True)
    except BoardError as e:
        sys.exit("vboard: %s" % e)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
