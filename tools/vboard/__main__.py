"""`python -m tools.vboard`: starts a virtual board, prints its port and filesystem,
and keeps it up until Ctrl-C (or SIGTERM). Then:

    mpremote connect <port> resume exec "import sys; print(sys.implementation)"
    python -m tools.deploy --port <port> ..."""

import argparse
import signal
import sys

from tools.vboard import BoardError, VirtualBoard


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tools.vboard", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", help="the board's filesystem (default: a new temporary "
                   "directory, removed on exit)")
    p.add_argument("--link", help="path of the board's pty (default: <dir>.tty)")
    p.add_argument("--heapsize", type=int, help="the VM's heap in bytes (Pico W: ~190000)")
    a = p.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in background
    try:
        with VirtualBoard(dir=a.dir, heapsize=a.heapsize, link=a.link) as board:
            print("port %s" % board.port)
            print("dir  %s" % board.dir, flush=True)
            print("every mpremote command needs `resume`, e.g.:\n  mpremote connect %s resume "
                  "exec \"print('hello')\"\nCtrl-C stops the board." % board.port, flush=True)
            signal.pause()
    except BoardError as e:
        sys.exit("vboard: %s" % e)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
