"""Many sends against a server that fails every other request; reports heap in use
(after gc.collect()) and open file descriptors at checkpoints. args: base_url, ca, n."""

import gc
import os

import devicetest
from utwilio import Twilio


def heap():
    gc.collect()
    return gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0


def fds():
    return len(os.listdir("/proc/self/fd"))


a = devicetest.args()
cadata = None
if a.get("ca"):
    with open(a["ca"], "rb") as f:
        cadata = f.read()
t = Twilio("AC" + "0" * 32, "secret", "+15550000001", base_url=a["base_url"], cadata=cadata,
           timeout=5)
codes = {}
marks = []
n = a["n"]
for i in range(n):
    r = t.send("+15551234567", "leak check %d" % i)
    codes[str(r["statuscode"])] = codes.get(str(r["statuscode"]), 0) + 1
    if i in (n // 3, n - 1):
        marks.append({"i": i, "heap": heap(), "fds": fds()})
devicetest.report({"codes": codes, "marks": marks})
