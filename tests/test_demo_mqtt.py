"""`tools/demo.py --mqtt`: the same story with the board's link over a Mosquitto broker
(TLS, configured by `utwilio-agent broker-config`); exit 0 and nothing left running."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_demo_over_mqtt_tells_the_story_and_stops_everything():
    from test_demo import alive, started_pids

    if shutil.which("socat") is None or shutil.which("mosquitto") is None:
        pytest.skip("needs socat and mosquitto: sudo sh tools/setup-system.sh")
    proc = subprocess.run([sys.executable, "tools/demo.py", "--mqtt"], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    lines = out.splitlines()
    broker = re.search(r"broker: Mosquitto at (mqtts://localhost:\d+) \(pid (\d+), TLS\)", out)
    assert broker, out
    assert "   one URL changed in the board's config.json: agent.url = %s" % broker.group(1) \
        in lines, out
    story = [line for line in lines if line.startswith("   phone")]
    assert story[1:4] == ["   phone  > +15005550006: led on",
                          "   phone  < +15005550006: LED is on",
                          "   phone  > +15005550006: status"], out
    assert lines[-1] == "done: alert sent, commands answered, replies delivered.", out
    pids = started_pids(out) + [int(broker.group(2))]
    assert [p for p in pids if alive(p)] == [], "the demo left processes running"
