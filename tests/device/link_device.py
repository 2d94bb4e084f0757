"""Shared by the link test scripts: a Link built from the test's arguments
(url, device, token, ca or verify, wait, timeout, backoff_ms = [min, max])."""

import devicetest
from utwilio import link as link_module
from utwilio.link import Link


def make(a):
    cadata = None
    if a.get("ca"):
        with open(a["ca"], "rb") as f:
            cadata = f.read()
    if a.get("backoff_ms"):
        link_module.BACKOFF_MIN_MS, link_module.BACKOFF_MAX_MS = a["backoff_ms"]
    return Link(a["url"], a.get("device", "dev-1"), a.get("token", "token-1"), cadata=cadata,
                verify=a.get("verify", True), wait=a.get("wait", 2), timeout=a.get("timeout", 10))


def args():
    return devicetest.args()
