"""device/examples on a virtual board flashed by the deploy tool: the temperature
alert (threshold, hysteresis, cool-down, an alert kept through a network cut) against
the sandbox, and the SMS command channel through a live agent and the sandbox phone."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "tests" / "agent"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from agenttest import (  # noqa: E402
    NUMBER,
    OWNER,
    LiveAgent,
    make_config,
    phone_texts,
    point_number,
    sandbox_messages,
    wait_until,
)
from cutproxy import CutProxy  # noqa: E402
from utwilio_sandbox.server import SandboxServer  # noqa: E402
from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN  # noqa: E402

import tools.deploy as deploy_tool  # noqa: E402
from tools.vboard import VirtualBoard  # noqa: E402

EXAMPLES = ROOT / "device" / "examples"
TWILIO = {"account_sid": DEFAULT_ACCOUNT_SID, "auth_token": DEFAULT_AUTH_TOKEN,
          "from": NUMBER, "to": OWNER}
WIFI = {"ssid": "utwilio-host", "password": "wifi-pa55word"}


def adc_for(celsius):
    """The RP2040 sensor's ADC reading for a temperature (what hardware.py inverts)."""
    return round((0.706 - (celsius - 27) * 0.001721) / 3.3 * 65535)


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer() as server:
        yield server


@pytest.fixture(scope="module")
def board(sandbox):
    """A board flashed with the deploy tool (utwilio as .mpy, config.json), then the
    examples copied with mpremote (`machine` and `network` are the board's own)."""
    with VirtualBoard() as b:
        settings = dict(TWILIO, base_url=sandbox.url, wifi=WIFI)
        deploy_tool.deploy(b.port, settings, None, say=lambda line: None)
        files = [str(p) for p in sorted(EXAMPLES.glob("*.py")) if p.name not in ("main.py",
                                                                                  "boot.py")]
        b.mpremote("fs", "cp", *files, ":")
        yield b


def configure(board, **settings):
    """Rewrites the board's config.json (raw UTF-8, as the deploy tool writes it)."""
    (board.dir / "config.json").write_text(json.dumps(settings, ensure_ascii=False),
                                           encoding="utf-8")
    (board.dir / "outbox.jsonl").unlink(missing_ok=True)


def run_alert(board, readings, times, wifi_down=()):
    """Runs temperature_alert.main() for one cycle per reading, at the given times;
    the Wi-Fi access point is gone during the cycles numbered in `wifi_down`."""
    code = """
import machine, network, hardware, temperature_alert
readings = iter(%r)
times = iter(%r)
down = %r
cycle = [0]
def read():
    cycle[0] += 1
    if cycle[0] in down:
        network.host_lose_link()
    else:
        network.host_restore_link()
    machine.host_set_adc(4, next(readings))
    return hardware.temperature()
box = temperature_alert.main(cycles=%d, read=read, clock=lambda: next(times))
print("LEFT", len(box))
""" % ([adc_for(c) for c in readings], list(times), list(wifi_down), len(readings))
    return board.exec(code, timeout=60)


def seen(sandbox):
    return {m["sid"] for m in sandbox_messages(sandbox, OWNER)}


def new_messages(sandbox, before):
    """Bodies of the messages to OWNER not in `before` (sids), oldest first."""
    return [m["body"] for m in sandbox_messages(sandbox, OWNER) if m["sid"] not in before]


def test_alert_once_past_threshold_then_hysteresis_and_cooldown(board, sandbox):
    configure(board, **TWILIO, base_url=sandbox.url, wifi=WIFI,
              alert={"threshold": 35, "hysteresis": 2, "cooldown": 600, "every": 0})
    before = seen(sandbox)
    # 30 -> 36 alerts; 36, 34 (inside the band) do not; 32 re-arms; 36 at t=300 is
    # inside the cool-down; 36 at t=700 alerts again.
    out = run_alert(board, [30, 36, 36, 34, 32, 36, 32, 36],
                    [0, 10, 20, 30, 40, 300, 310, 700])
    assert "LEFT 0" in out, out
    sent = new_messages(sandbox, before)
    assert sent == ["Hot: 36.0 C (threshold 35 C)"] * 2, out


@pytest.mark.parametrize("cut, threshold", [("down", 33), ("cut", 34)])
def test_alert_survives_a_network_cut_and_arrives_once(board, sandbox, cut, threshold):
    """A distinct threshold per case gives a distinct text: the outbox takes a message
    with the same text created in the last minutes for its own when it cannot tell."""
    with CutProxy(sandbox.port) as proxy:
        proxy.script = [cut]
        configure(board, **TWILIO, base_url=proxy.url, wifi=WIFI,
                  alert={"threshold": threshold, "hysteresis": 2, "cooldown": 600, "every": 0})
        before = seen(sandbox)
        # The first exchange meets the cut; the next cycle (still hot, no new alert)
        # finds the network back and flushes the outbox.
        out = run_alert(board, [36, 36, 36], [0, 10, 20], wifi_down=[1])
        assert "-> kept for later" in out and "outbox: 0 alert(s) left" in out, out
        assert "wifi: 'utwilio-host' not joined (status 201), try 1 of 1" in out, out
        assert "LEFT 0" in out, out
    assert new_messages(sandbox, before) == ["Hot: 36.0 C (threshold %d C)" % threshold], out
    assert proxy.actions[0] == cut


def test_sms_commands_through_the_agent(board, sandbox):
    config = make_config(database=":memory:", twilio_base_url=sandbox.url, reply_deadline=0.0,
                         acknowledgement="")
    with LiveAgent(config) as live:
        point_number(sandbox, NUMBER, live.url + "/twilio/sms")
        token = live.add_device("greenhouse")
        configure(board, wifi=WIFI,
                  agent={"url": live.url, "device_id": "greenhouse", "token": token})
        before = seen(sandbox)
        phone_texts(sandbox, OWNER, NUMBER, "led on")
        phone_texts(sandbox, OWNER, NUMBER, "status")
        out = board.exec("import machine, sms_commands\n"
                         "sms_commands.main(cycles=5, handled=2, wait=2)\n"
                         "print('LED', machine.Pin(2).value())", timeout=60)
        assert "LED 1" in out, out
        replies = wait_until(lambda: len(new_messages(sandbox, before)) >= 2 and
                             new_messages(sandbox, before), what="two replies")
    assert replies[0] == "LED is on"
    assert replies[1].startswith("LED on, ") and " C, up " in replies[1], replies
