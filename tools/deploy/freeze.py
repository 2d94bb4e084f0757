"""Writes a MicroPython freeze manifest (`manifest.py`) that puts utwilio into a firmware
build, so its code runs from flash and costs no heap (see docs/memory.md):

    python -m tools.deploy.freeze -o manifest.py                 # the full package
    python -m tools.deploy.freeze --core-only -o manifest.py     # send() and the outbox
    python -m tools.deploy.freeze --include '$(BOARD_DIR)/manifest.py' -o manifest.py

then, in a MicroPython checkout:
    make -C ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=/abs/path/manifest.py

`--include` keeps the board's own frozen modules (the default, the port's
boards/manifest.py, is right for ESP32; a Pico W needs '$(BOARD_DIR)/manifest.py', which
brings its network modules); `--require NAME` adds a micropython-lib package by name
(tools/bench/firmware.py freezes `requests` beside utwilio to compare them)."""

import argparse
import sys
from pathlib import Path

from tools.deploy.files import PACKAGE, modules

DEFAULT_INCLUDE = "$(PORT_DIR)/boards/manifest.py"


def render(core_only=False, include=DEFAULT_INCLUDE, requires=(), base=PACKAGE.parent):
    names = modules(core_only)
    lines = ["# utwilio frozen into the firmware (%s); written by `python -m tools.deploy."
             "freeze`." % ("alert-only core" if core_only else "full package")]
    if include:
        lines.append("include(%r)" % include)
    for name in requires:
        lines.append("require(%r)" % name)
    lines.append("package(")
    lines.append('    "utwilio",')
    lines.append("    files=(%s)," % ", ".join(repr(n) for n in names))
    lines.append("    base_path=%r," % str(Path(base).resolve()))
    lines.append("    opt=3,")  # no asserts or line numbers: smaller frozen bytecode
    lines.append(")")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tools.deploy.freeze",
                                description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--core-only", action="store_true", help="only what send() and the "
                   "outbox need")
    p.add_argument("--include", default=DEFAULT_INCLUDE, help="the board's manifest to "
                   "keep (default %(default)s; '' for none)")
    p.add_argument("--require", action="append", default=[], metavar="NAME",
                   help="also freeze this micropython-lib package")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    a = p.parse_args(argv)
    text = render(a.core_only, a.include, a.require)
    if a.output:
        Path(a.output).write_text(text)
        print("wrote %s" % a.output)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
