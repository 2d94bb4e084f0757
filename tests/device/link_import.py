"""What `import utwilio` loads, what `from utwilio.link import Link` adds, and what
making a Link (for args["url"], default HTTP) adds; with the heap each import keeps
(after gc.collect(); 0 on CPython)."""

import gc
import sys

import devicetest


def heap():
    gc.collect()
    return gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0  # pyright: ignore


def loaded():
    return sorted(m for m in sys.modules if m.startswith("utwilio") or m in ("asyncio", "tls"))


start = heap()
import utwilio  # noqa: E402,F401

core = heap()
after_core = loaded()
from utwilio.link import Link  # noqa: E402,F401

link_heap = heap() - core
after_link = loaded()
Link(devicetest.args().get("url", "http://127.0.0.1:9"), "dev-1", "token-1")
devicetest.report({"core": after_core, "link": after_link, "made": loaded(),
                   "core_heap": core - start, "link_heap": link_heap})
