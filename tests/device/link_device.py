"""Shared by the link test scripts: a Link built from the test's arguments (url,
device, token, ca or verify, wait, timeout, backoff_ms = [min, max], keepalive for
MQTT), the fake
agent's control channel, and heap / descriptor figures."""

import gc
import json
import os

import devicetest
from utwilio import link as link_module
from utwilio.http import Transport
from utwilio.link import Link

try:
    import tracemalloc  # CPython's heap figure, where MicroPython has gc.mem_alloc()

    tracemalloc.start()
except ImportError:
    tracemalloc = None

_control = Transport(timeout=10)


def args():
    return devicetest.args()


def make(a):
    cadata = None
    if a.get("ca"):
        with open(a["ca"], "rb") as f:
            cadata = f.read()
    if a.get("backoff_ms"):
        link_module.BACKOFF_MIN_MS, link_module.BACKOFF_MAX_MS = a["backoff_ms"]
    if a.get("keepalive"):
        from utwilio import linkmqtt

        linkmqtt.KEEPALIVE = a["keepalive"]
    return Link(a["url"], a.get("device", "dev-1"), a.get("token", "token-1"), cadata=cadata,
                verify=a.get("verify", True), wait=a.get("wait", 2), timeout=a.get("timeout", 10))


def control(a, what, body=None):
    """POST to tests/linkserver.py's control listener -> its "ok" value."""
    data = None if body is None else json.dumps(body).encode()
    status, _, answer = _control.request("POST", a["control"] + "/" + what, {}, data)
    assert status == 200, status
    return json.loads(answer)["ok"]


def usage():
    gc.collect()
    if tracemalloc is not None:
        heap = tracemalloc.get_traced_memory()[0]
    else:
        heap = gc.mem_alloc()  # pyright: ignore[reportAttributeAccessIssue]
    return {"heap": heap, "fds": len(os.listdir("/proc/self/fd"))}
