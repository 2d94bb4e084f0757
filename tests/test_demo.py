"""`make demo` (tools/demo.py) as a user runs it: the whole story in its transcript,
exit 0, and nothing left running."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def started_pids(out):
    """The agent's and the board's pids, as the transcript names them."""
    agent = re.search(r"utwilio-agent serve, pid (\d+)", out)
    board = re.search(r"VM pid (\d+)\)", out)
    assert agent and board, out
    return [int(agent.group(1))] + [int(p) for p in board.group(1).split()]


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_demo_tells_the_whole_story_and_stops_everything():
    """With only the `demo` extra importable (tests/demoonly blocks the rest of dev)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tests" / "demoonly"))
    proc = subprocess.run([sys.executable, "tools/demo.py"], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, env=env)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    lines = out.splitlines()
    assert any("installed utwilio" in line for line in lines), out
    assert "   phone  < +15005550006: Hot: 36.6 C (threshold 35 C)" in lines, out
    story = [line for line in lines if line.startswith("   phone")]
    assert story[1:4] == ["   phone  > +15005550006: led on",
                          "   phone  < +15005550006: LED is on",
                          "   phone  > +15005550006: status"], out
    assert story[4].startswith("   phone  < +15005550006: LED on, 36.6 C, up "), out
    assert "   device| LED pin 2 is 1" in lines, out
    assert lines[-1] == "done: alert sent, commands answered, replies delivered.", out
    pids = started_pids(out)
    assert len(pids) == 2, out
    assert [p for p in pids if alive(p)] == [], "the demo left processes running"


def test_the_blocker_blocks_what_the_demo_extra_lacks():
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tests" / "demoonly"))
    code = ("import trustme, mpremote, starlette, httpx\n"
            "try:\n    import twilio\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "not in the demo extra" in out.stdout, out.stdout + out.stderr
