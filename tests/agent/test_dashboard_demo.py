"""`tools/demo.py --keep` as a user runs it, with the console open in headless
Chromium: the board's temperature is plotted live, and a command typed on the page
comes back with the board's answer. Ctrl-C (SIGTERM here) stops everything."""

import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_demo import alive, started_pids

sync_api = pytest.importorskip("playwright.sync_api", reason="run tools/sandbox/setup-browser.sh")
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium: make system")
ROOT = Path(__file__).resolve().parents[2]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
CONSOLE = re.compile(r"agent console:\s+(\S+)\s+\(any user, password (\S+)\)")


def test_the_kept_demo_plots_the_temperature_and_answers_the_console():
    demo = subprocess.Popen([sys.executable, "tools/demo.py", "--keep"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines, transcript = queue.Queue(), []

    def read():
        for line in demo.stdout:
            transcript.append(line)
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        found = None
        while found is None:
            try:
                found = CONSOLE.search(lines.get(timeout=180))
            except queue.Empty:
                raise AssertionError("the demo printed no console URL:\n"
                                     + "".join(transcript)) from None
        url, password = found.groups()
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                page = browser.new_context(http_credentials={"username": "maker",
                                                             "password": password}).new_page()
                page.goto(url)
                plot = page.locator("figure.plot[data-field='reading.temp']")
                sync_api.expect(plot.locator("circle.dot").nth(1)).to_be_attached(timeout=60000)
                page.get_by_label("Send a command to greenhouse").fill("status")
                page.keyboard.press("Enter")
                sync_api.expect(page.locator("#notice")).to_have_text(
                    re.compile(r"greenhouse answered “status”: LED on, \d+\.\d C, up \d+ s"),
                    timeout=60000)
            finally:
                browser.close()
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(60)
    out = "".join(transcript)
    assert "stopped: the board, the agent and the sandbox are down." in out, out
    pids = started_pids(out)
    assert [p for p in pids if alive(p)] == [], "the demo left processes running"
