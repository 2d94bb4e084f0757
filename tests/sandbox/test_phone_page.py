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


def open_phone(playwright, server, width=360):
    """The phone page at a phone's width, number +15005550006 selected."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    page = browser.new_page(viewport={"width": width, "height": 740})
    page.goto(server.url + "/sandbox/phone")
    page.wait_for_selector("#number option[value='+15005550006']", state="attached")
    page.select_option("#number", "+15005550006")
    return browser, page


def text_from_page(page, body):
    page.fill("#body", body)
    page.click("#send")
    return page.wait_for_selector("#conversation li.sent:has-text('%s')" % body)


def test_phone_page_sets_the_webhook_labels_sent_texts_and_shows_times(fast, receiver):
    receiver.replies["/sms"] = [(200, REPLY, "application/xml")]
    with sync_api.sync_playwright() as playwright:
        browser, page = open_phone(playwright, fast)
        try:
            page.wait_for_selector("#webhook-note:has-text('No SMS webhook set')")
            page.fill("#webhook", receiver.url + "/sms")
            page.click("#set-webhook")
            page.wait_for_selector("#webhook-note:has-text('%s')" % (receiver.url + "/sms"))
            number = [r for r in fast.sandbox.store.all("incoming_phone_number")
                      if r.data["phone_number"] == "+15005550006"][0]
            assert number.data["sms_url"] == receiver.url + "/sms"
            sent = text_from_page(page, "fan on")
            meta = sent.query_selector("small.meta").text_content()
            assert meta.startswith("Sent · ") and ":" in meta  # a time, e.g. 03:05
            reply = page.wait_for_selector("#conversation li.received:has-text('Fan is on')")
            assert reply.query_selector("small.meta").text_content().startswith("Reply, ")
            page.fill("#webhook", "ftp://files.test/sms")  # a URL, but not http(s)
            page.click("#set-webhook")
            page.wait_for_selector("#error:has-text('SmsUrl is not a valid URL')")
        finally:
            browser.close()


def test_phone_page_refuses_an_empty_message(fast):
    with sync_api.sync_playwright() as playwright:
        browser, page = open_phone(playwright, fast)
        try:
            page.fill("#body", "   ")
            page.click("#send")
            page.wait_for_selector("#error:has-text('empty text is not sent')")
            assert fast.sandbox.store.all("message") == []
        finally:
            browser.close()


@pytest.mark.parametrize("setup, shown", [
    (None, "has no SMS webhook"),
    ((403, "", "text/plain"), "Webhook failed: 11200 HTTP retrieval failure: status 403"),
    ((200, REPLY, "application/xml", 2), "Webhook failed: 11205 HTTP connection failure"),
])
def test_phone_page_says_why_a_text_got_no_answer(fast, receiver, setup, shown):
    if setup is not None:
        receiver.replies["/sms"] = [setup]
        number = twilio_client(fast.url).incoming_phone_numbers.list(
            phone_number="+15005550006")[0]
        number.update(sms_url=receiver.url + "/sms#rt=300&rc=0")  # read timeout 0.3 s
    with sync_api.sync_playwright() as playwright:
        browser, page = open_phone(playwright, fast)
        try:
            sent = text_from_page(page, "fan on")
            problem = page.wait_for_selector("#conversation li.sent .problem")
            assert shown in problem.text_content()
            link = problem.query_selector("a")
            if setup is not None:
                code = "11200" if setup[0] == 403 else "11205"
                assert link.get_attribute("href") == "https://www.twilio.com/docs/errors/" + code
            assert sent.get_attribute("data-sid").startswith("SM")
        finally:
            browser.close()


def test_phone_page_fits_a_phone_screen(fast):
    with sync_api.sync_playwright() as playwright:
        browser, page = open_phone(playwright, fast, width=320)
        try:
            text_from_page(page, "a long text " * 20)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0
            viewport = page.get_attribute("meta[name=viewport]", "content")
            assert "width=device-width" in viewport
        finally:
            browser.close()
