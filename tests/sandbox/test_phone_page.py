"""The phone page in headless Chromium: text a number, see the TwiML reply arrive."""

import shutil

import pytest
from utwilio_sandbox.clients import twilio_client

sync_api = pytest.importorskip("playwright.sync_api", reason="run tools/sandbox/setup-browser.sh")
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="run tools/sandbox/setup-browser.sh")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPLY = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Fan is on</Message></Response>'


def test_phone_page_sends_and_shows_the_reply(fast, receiver):
    receiver.replies["/sms"] = [(200, REPLY, "application/xml")]
    number = twilio_client(fast.url).incoming_phone_numbers.list(phone_number="+15005550006")[0]
    number.update(sms_url=receiver.url + "/sms")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            page.goto(fast.url + "/sandbox/phone")
            page.wait_for_selector("#number option[value='+15005550006']", state="attached")
            page.fill("#phone", "+15551234567")
            page.select_option("#number", "+15005550006")
            page.fill("#body", "fan on")
            page.click("#send")
            page.wait_for_selector("#conversation li.sent:has-text('fan on')")
            reply = page.wait_for_selector("#conversation li.received:has-text('Fan is on')")
            page.wait_for_selector("#conversation li.received[data-status='delivered']")
            assert reply.get_attribute("data-sid").startswith("SM")
            assert page.input_value("#body") == ""
            assert dict(receiver.wait_for(1, "/sms")[0]["form"])["Body"] == "fan on"
        finally:
            browser.close()


def test_phone_page_shows_why_a_text_was_refused(fast):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            page.goto(fast.url + "/sandbox/phone")
            page.wait_for_selector("#number option", state="attached")
            page.fill("#phone", "12345")
            page.fill("#body", "hi")
            page.click("#send")
            error = page.wait_for_selector("#error:has-text('E.164')")
            assert "12345" in error.text_content()
        finally:
            browser.close()
