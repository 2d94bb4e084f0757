"""The dashboard in headless Chromium: devices with their presence, queued commands,
replies, and text shown as text (never as markup)."""

import shutil

import pytest
from agenttest import DeviceClient, LiveAgent, make_config, post_sms

sync_api = pytest.importorskip("playwright.sync_api", reason="run tools/sandbox/setup-browser.sh")
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="run tools/sandbox/setup-browser.sh")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def open_dashboard(playwright, url, password):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    context = browser.new_context(http_credentials={"username": "me", "password": password})
    page = context.new_page()
    return browser, page, page.goto(url + "/dashboard")


def test_dashboard_shows_presence_queue_and_replies():
    with LiveAgent(make_config(dashboard_password="pw")) as live:
        device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
        assert device.poll(0)["commands"] == []  # greenhouse is now online; garage never seen
        assert post_sms(live.url, "fan <b>on</b>").status_code == 200
        assert post_sms(live.url, "status").status_code == 200
        [first, second] = device.poll(0)["commands"]
        device.ack(first["id"], "fan is on & humming")
        with sync_api.sync_playwright() as playwright:
            browser, page, answer = open_dashboard(playwright, live.url, "pw")
            try:
                assert answer.status == 200
                rows = page.locator("h2:has-text('Devices') + table tr")
                greenhouse = rows.filter(has_text="greenhouse")
                assert greenhouse.locator("td.online").inner_text() == "online"
                assert greenhouse.locator("td").nth(3).inner_text() == "1"  # "status" waits
                garage = rows.filter(has_text="garage")
                assert garage.locator("td.offline").inner_text() == "offline"
                commands = page.locator("h2:has-text('Recent commands') + table")
                assert commands.locator("td.text", has_text="fan <b>on</b>").count() == 1
                assert commands.locator("b").count() == 0  # the sender's text is not markup
                assert commands.locator("td.text", has_text="fan is on & humming").count() == 1
            finally:
                browser.close()
        device.close()
        assert second["text"] == "status"


def test_dashboard_refuses_a_wrong_password():
    with LiveAgent(make_config(dashboard_password="pw")) as live:
        with sync_api.sync_playwright() as playwright:
            browser, page, answer = open_dashboard(playwright, live.url, "wrong")
            try:
                assert answer.status == 401
                assert "greenhouse" not in page.content()
            finally:
                browser.close()
