"""The outbox on both runtimes, against the real sandbox through a proxy that cuts the
network: order kept, nothing lost, no duplicate where Twilio had the first attempt, and
few flash writes."""

import json
import urllib.request

import pytest
from cutproxy import CutProxy
from devicevm import result
from utwilio_sandbox import settings
from utwilio_sandbox.server import SandboxServer

TO = "+15551234567"


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer() as s:
        yield s


@pytest.fixture
def proxy(sandbox):
    sandbox.sandbox.reset()
    with CutProxy(int(sandbox.url.rsplit(":", 1)[1])) as p:
        yield p


def bodies(sandbox):
    with urllib.request.urlopen(sandbox.url + "/sandbox/messages") as r:
        return [m["body"] for m in json.load(r)["messages"]]


def run(runtime, proxy, tmp_path, steps, **extra):
    return result(runtime, "outbox_run.py", dict(
        base_url=proxy.url, sid=settings.DEFAULT_ACCOUNT_SID, token=settings.DEFAULT_AUTH_TOKEN,
        to=TO, steps=steps, path=str(tmp_path / "outbox.jsonl"),
        **{"from": settings.DEFAULT_NUMBERS[0]}, **extra))


def test_cut_after_twilio_accepted_is_not_sent_twice(runtime, sandbox, proxy, tmp_path):
    proxy.script = ["cut"]
    out = run(runtime, proxy, tmp_path, ["send:Greenhouse hot: 36.2C", "flush"])
    sent, flushed = out["steps"]
    assert sent[1] in (52, 56) and sent[2:] == [True, True, 1]  # kept, maybe sent
    assert flushed == ["flush", 0]
    assert bodies(sandbox) == ["Greenhouse hot: 36.2C"]  # Twilio has it once
    assert proxy.actions == ["cut", "pass"]  # the flush only asked; it did not resend


def test_same_text_again_is_not_mistaken_for_the_lost_attempt(runtime, sandbox, proxy,
                                                              tmp_path):
    """A repeated alert whose send may have gone out must not be matched to the earlier,
    identical alert this outbox sent itself: that would drop the new one."""
    proxy.script = ["pass", "down"]
    out = run(runtime, proxy, tmp_path, ["send:Greenhouse hot", "send:Greenhouse hot", "flush"])
    assert out["steps"][0][1:3] == [201, False]
    assert out["steps"][1][2] is True and out["steps"][2] == ["flush", 0]
    assert bodies(sandbox) == ["Greenhouse hot", "Greenhouse hot"]


def test_network_down_keeps_order_and_loses_nothing(runtime, sandbox, proxy, tmp_path):
    proxy.script = ["down", "down"]
    out = run(runtime, proxy, tmp_path, ["send:first", "send:second", "flush", "send:third"])
    first, second, flushed, third = out["steps"]
    assert first[2] is True and first[4] == 1
    assert second[2] is True and second[4] == 2
    assert flushed == ["flush", 0]
    assert third[1:3] == [201, False]
    assert bodies(sandbox) == ["first", "second", "third"]
    assert out["writes"] == 3  # keep first, keep both, empty after the flush


def test_no_flash_write_while_sends_succeed(runtime, sandbox, proxy, tmp_path):
    out = run(runtime, proxy, tmp_path, ["send:a", "send:b", "flush"])
    assert [s[1:3] for s in out["steps"][:2]] == [[201, False], [201, False]]
    assert out["writes"] == 0 and not (tmp_path / "outbox.jsonl").exists()


def test_full_outbox_drops_the_oldest(runtime, sandbox, proxy, tmp_path):
    proxy.script = ["down"] * 5
    out = run(runtime, proxy, tmp_path, ["send:1", "send:2", "send:3", "send:4", "send:5",
                                         "flush"], limit=3)
    assert out["dropped"] == 2 and out["steps"][-1] == ["flush", 0]
    assert bodies(sandbox) == ["3", "4", "5"]


def test_refused_for_good_is_not_kept(runtime, sandbox, proxy, tmp_path):
    out = result(runtime, "outbox_run.py", dict(
        base_url=proxy.url, sid=settings.DEFAULT_ACCOUNT_SID, token=settings.DEFAULT_AUTH_TOKEN,
        to=settings.DEFAULT_OPTED_OUT[0], steps=["send:hi"], path=str(tmp_path / "o.jsonl"),
        **{"from": settings.DEFAULT_NUMBERS[0]}))
    assert out["steps"][0][1:3] == [400, False] and out["writes"] == 0
