"""The console in headless Chromium: cards and plots that change without a reload,
a command typed on the page answered by a device on the MicroPython VM, CSRF and
markup injection refused, and the screenshots in docs/img/ (phone and desktop)."""

import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from agenttest import (
    NUMBER,
    DeviceClient,
    LiveAgent,
    make_config,
    point_number,
    post_sms,
    wait_until,
)
from devicevm import run
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
from utwilio_agent.console.access import csrf_token
from utwilio_agent.ids import new_id
from utwilio_sandbox.server import ServerThread

sync_api = pytest.importorskip("playwright.sync_api", reason="run tools/sandbox/setup-browser.sh")
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="run tools/sandbox/setup-browser.sh")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--font-render-hinting=none"]
ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "docs" / "img"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def live():
    with LiveAgent(make_config(dashboard_password="pw")) as agent:
        agent.token = agent.add_device("greenhouse")
        yield agent


def open_page(browser, url, viewport=DESKTOP, password="pw", color_scheme="light"):
    context = browser.new_context(viewport=viewport, device_scale_factor=1,
                                  color_scheme=color_scheme,
                                  http_credentials={"username": "ana", "password": password})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    answer = page.goto(url)
    return page, answer


def wait_live(page):
    page.wait_for_selector("#live.on")
    page.wait_for_function("document.body.dataset.updated > 0")


def card(page, device):
    return page.locator("article.card[data-device='%s']" % device)


def test_cards_change_live_when_a_text_arrives_and_the_device_polls(live, browser):
    device = DeviceClient(live.url, "greenhouse", live.token)
    page, answer = open_page(browser, live.url + "/dashboard")
    assert answer.status == 200
    wait_live(page)
    page.evaluate("window.notReloaded = true")
    page.focus("a[data-focus='device:greenhouse']")  # a keyboard user is on its link
    greenhouse = card(page, "greenhouse")
    assert greenhouse.locator(".presence").inner_text() == "offline"
    assert card(page, "garage").locator(".problem").inner_text().startswith("It has no token")
    assert post_sms(live.url, "fan on").status_code == 200
    sync_api.expect(greenhouse.locator("[data-field=queued]")).to_have_text("1 command")
    sync_api.expect(greenhouse.locator(".said")).to_have_text("fan on")
    [command] = device.poll(0)["commands"]
    sync_api.expect(greenhouse.locator(".presence")).to_have_text("online")
    sync_api.expect(greenhouse.locator(".pill:not(.presence)")).to_have_text(
        "picked up by greenhouse, waiting for its answer")
    device.ack(command["id"], "fan is on")
    sync_api.expect(greenhouse.locator(".reply")).to_have_text(" ↳ fan is on")
    sync_api.expect(greenhouse.locator("[data-field=queued]")).to_have_text("nothing")
    device.http.post(device.base + "/events", json={"name": "reading", "data": {"temp": 21.5}})
    sync_api.expect(greenhouse.locator(".facts .events li")).to_contain_text("reading temp 21.5")
    sync_api.expect(greenhouse.locator(".tiles li[data-field='reading.temp']")).to_have_text(
        "21.5reading.temp")
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("document.activeElement.dataset.focus") == "device:greenhouse"
    assert page.errors == []
    device.close()


def test_a_plot_appears_for_numbers_and_grows_as_they_arrive(live, browser):
    device = DeviceClient(live.url, "greenhouse", live.token)
    page, _ = open_page(browser, live.url + "/dashboard/devices/greenhouse")
    wait_live(page)
    sync_api.expect(page.locator(".plots .empty")).to_contain_text("No numbers reported")
    device.http.post(device.base + "/events", json={"name": "reading",
                                                    "data": {"temp": 20.5, "label": "a"}})
    plot = page.locator("figure.plot[data-field='reading.temp']")
    sync_api.expect(plot.locator("circle.dot")).to_have_count(1)
    assert post_sms(live.url, "fan on").status_code == 200
    sync_api.expect(plot.locator("line.mark-command")).to_have_count(1)
    for temp in (21, 22.5):
        device.http.post(device.base + "/events", json={"name": "reading", "data": {"temp": temp}})
    sync_api.expect(plot.locator("circle.dot")).to_have_count(3)
    sync_api.expect(plot.locator(".latest")).to_have_text("22.5")
    assert "3 readings from 20.5 to 22.5" in plot.locator("svg").get_attribute("aria-label")
    assert page.locator("figure.plot").count() == 1  # "label" is not a number
    page.click(".ranges button[data-range='15m']")
    sync_api.expect(page.locator(".ranges button[data-range='15m']")).to_have_attribute(
        "aria-pressed", "true")
    assert "range=15m" in page.url
    sync_api.expect(plot.locator("circle.dot")).to_have_count(3)
    assert page.errors == []
    device.close()


def test_a_command_typed_on_the_page_is_answered_by_the_micropython_device(live, browser):
    args = {"url": live.url, "device": "greenhouse", "token": live.token,
            "backoff_ms": [20, 200], "mode": "run", "wait": 5}
    with ThreadPoolExecutor(1) as pool:
        board = pool.submit(run, "micropython", "link_commands.py", args, None, 120)
        page, _ = open_page(browser, live.url + "/dashboard/devices/greenhouse")
        wait_live(page)
        sync_api.expect(page.locator(".card .presence")).to_have_text("online", timeout=30000)
        page.get_by_label("Send a command to greenhouse").fill("fan on")
        page.keyboard.press("Enter")  # the keyboard alone sends it
        sync_api.expect(page.locator("#notice")).to_have_text(
            "greenhouse answered “fan on”: fan on", timeout=30000)
        item = page.locator("li[data-command]").first
        sync_api.expect(item.locator(".reply")).to_contain_text("fan on")
        sync_api.expect(item.locator(".state")).to_have_text("answered")
        page.get_by_label("Send a command to greenhouse").fill("quit")
        page.click("form.compose button")
        sync_api.expect(page.locator("#notice")).to_have_text(
            "greenhouse answered “quit”: bye", timeout=30000)
        proc = board.result(120)
    result = json.loads(next(line[7:] for line in proc.stdout.splitlines()
                             if line.startswith("RESULT ")))
    assert result["ran"] == [["fan", "on"], ["quit", ""]] and result["error"] is None
    assert page.errors == []


MARKUP = '<img src=x onerror="document.body.dataset.owned=1"><b>bold</b>'


def test_markup_from_senders_and_devices_is_shown_as_text(live, browser):
    device = DeviceClient(live.url, "greenhouse", live.token)
    assert post_sms(live.url, MARKUP).status_code == 200
    [command] = device.poll(0)["commands"]
    device.ack(command["id"], MARKUP)
    device.http.post(device.base + "/events", json={"name": MARKUP[:64], "data": {"x": MARKUP}})
    for url in ("/dashboard", "/dashboard/devices/greenhouse"):
        page, _ = open_page(browser, live.url + url)
        wait_live(page)
        assert page.locator("main img, main b:text-is('bold')").count() == 0
        assert page.get_by_text(MARKUP).count() >= 1
        page.wait_for_timeout(300)
        assert page.evaluate("document.body.dataset.owned") is None
    device.close()


def test_actions_without_the_page_s_token_or_from_another_site_fail(live, browser):
    page, _ = open_page(browser, live.url + "/dashboard/devices/greenhouse")
    wait_live(page)
    status = page.evaluate("""async () => (await fetch(
        "/dashboard/api/devices/greenhouse/commands", {method: "POST",
        headers: {"Content-Type": "application/json"}, body: '{"text": "fan on"}'})).status""")
    assert status == 403
    target = live.url + "/dashboard/api/devices/greenhouse/commands"

    async def evil(request):
        return HTMLResponse(
            '<form id="f" method="POST" enctype="text/plain" action="%s">'
            '<input name=\'{"text": "fan on", "x": "\' value=\'"}\'></form>'
            '<script>fetch("%s", {method: "POST", mode: "no-cors", credentials: "include", '
            'body: \'{"text": "fan on"}\'}).finally(() => f.submit())</script>'
            % (target, target))

    with ServerThread(Starlette(routes=[Route("/", evil)])) as other:
        attack, _ = open_page(browser, other.url + "/")
        attack.wait_for_url(target)
        assert "X-CSRF-Token" in attack.content()
    sync_api.expect(page.locator("li[data-command]")).to_have_count(0)
    assert live.run(live.agent.store.actions(10)) == []


def _history(live):
    """An afternoon in the greenhouse: an hour of readings, texts, alerts, replies."""
    store, now = live.agent.store, time.time()
    live.run(live.agent.add_device("garage"))
    for i in range(60):
        at = now - 3600 + i * 60
        temp = 24 + 6 * (i / 60) ** 2 + (0.4 if i % 7 == 0 else 0)
        live.run(store.add_event(new_id("EV"), "greenhouse", "reading",
                                 {"temp": round(temp, 1), "rh": 62 - i // 4}, at))
        live.run(store.add_event(new_id("EV"), "garage", "door", {"open": i % 20 < 3},
                                 at))
    live.run(store.claim_alert("greenhouse", "hot", now - 420, 10, 0))


@pytest.fixture
def delivering(sandbox):
    """The agent sending through the sandbox: its SMS go queued -> sent -> delivered,
    except to +15005550010, whose messages end undelivered (30003)."""
    config = make_config(dashboard_password="pw", twilio_base_url=sandbox.url)
    config.devices["greenhouse"].contacts.append("+15005550010")
    with LiveAgent(config) as agent:
        agent.token = agent.add_device("greenhouse")
        yield agent


def test_screenshots_for_the_docs(delivering, browser):
    """Produces docs/img/console-*.png: the overview and a device's page, at a phone's
    width (390 px) and a desktop's, and a device's page in dark mode."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    live = delivering
    _history(live)
    device = DeviceClient(live.url, "greenhouse", live.token)
    assert post_sms(live.url, "fan on").status_code == 200
    [fan] = device.poll(0)["commands"]
    device.ack(fan["id"], "Fan on (speed 2). 31.2°C")
    assert post_sms(live.url, "status").status_code == 200
    live.run(live.agent.alert("greenhouse", "Greenhouse hot: 31.4°C", "hot2"))
    wait_until(lambda: len([m for m in live.run(live.agent.store.overview(time.time(), 9))[
        "messages"] if m.status in ("delivered", "undelivered")]) == 3, what="deliveries")
    headers = {"X-CSRF-Token": csrf_token("pw"), "Content-Type": "application/json"}
    r = httpx.post(live.url + "/dashboard/api/devices/greenhouse/commands", auth=("ana", "pw"),
                   headers=headers, json={"text": "vent open 30%"})
    assert r.status_code == 201, r.text
    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page, _ = open_page(browser, live.url + "/dashboard", viewport)
        wait_live(page)
        page.screenshot(path=str(IMAGES / ("console-overview-%s.png" % name)), full_page=True)
        page, _ = open_page(browser, live.url + "/dashboard/devices/greenhouse", viewport)
        wait_live(page)
        page.wait_for_selector("figure.plot svg")
        page.screenshot(path=str(IMAGES / ("console-device-%s.png" % name)), full_page=True)
        assert page.errors == []
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], "the page scrolls sideways at %d px" % width
    page, _ = open_page(browser, live.url + "/dashboard/devices/greenhouse", color_scheme="dark")
    wait_live(page)
    page.wait_for_selector("figure.plot svg")
    page.screenshot(path=str(IMAGES / "console-device-dark.png"))
    device.close()


def test_the_sandbox_phone_page_shares_the_console_s_look(delivering, sandbox, browser):
    """The phone texts greenhouse through the sandbox; the device answers; the phone
    page, in the console's stylesheet, shows the conversation (docs/img/sandbox-phone.png,
    and sandbox-phone-desktop.png at desktop width)."""
    live = delivering
    point_number(sandbox, NUMBER, live.url + "/twilio/sms")
    device = DeviceClient(live.url, "greenhouse", live.token)
    with ThreadPoolExecutor(1) as pool:
        served = pool.submit(device.serve, lambda cmd: "Fan is on (speed 2)", 20)
        page, _ = open_page(browser, sandbox.url + "/sandbox/phone", PHONE)
        page.wait_for_selector("#number option[value='%s']" % NUMBER, state="attached")
        page.fill("#body", "fan on")
        page.press("#body", "Enter")
        page.wait_for_selector("#conversation li.received:has-text('Fan is on (speed 2)')")
        assert [c["text"] for c in served.result(30)] == ["fan on"]
    assert page.evaluate("getComputedStyle(document.querySelector('.bar')).position") == "sticky"
    page.wait_for_selector("#conversation li[data-status='delivered']")
    page.screenshot(path=str(IMAGES / "sandbox-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    page.screenshot(path=str(IMAGES / "sandbox-phone-desktop.png"))
    device.close()


def test_the_device_page_pages_back_through_its_whole_history(live, browser):
    now = time.time()
    for i in range(230):
        live.run(live.agent.store.add_event(new_id("EV"), "greenhouse", "tick", {"n": i},
                                            now - 300 + i))
    page, _ = open_page(browser, live.url + "/dashboard/devices/greenhouse")
    wait_live(page)
    events = page.locator("li[data-event]")
    sync_api.expect(events).to_have_count(12)
    page.get_by_role("button", name="Show all 200").click()
    sync_api.expect(events).to_have_count(200)
    page.get_by_role("button", name="Show older").click()
    sync_api.expect(events).to_have_count(230)
    sync_api.expect(events.last).to_contain_text("tick n 0")
    sync_api.expect(page.get_by_role("button", name="Show older")).to_have_count(0)
    assert page.errors == []


def test_every_control_has_a_name_and_the_keyboard_reaches_it(live, browser):
    assert post_sms(live.url, "fan on").status_code == 200
    page, _ = open_page(browser, live.url + "/dashboard/devices/greenhouse")
    wait_live(page)
    page.wait_for_selector("li[data-command] button")
    unnamed = page.eval_on_selector_all("a, button, input, select", """nodes => nodes.filter(
        n => !(n.getAttribute('aria-label') || n.textContent.trim() ||
               (n.labels && n.labels.length))).map(n => n.outerHTML)""")
    assert unnamed == []
    reached = []
    for _ in range(20):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("""() => { const n = document.activeElement;
            return n.getAttribute('aria-label') || n.id || n.textContent.trim(); }"""))
    assert "command" in reached and "Send" in reached and "24h" in reached
    assert "Cancel “fan on”" in reached
    page.focus("button[aria-label='Cancel “fan on”']")
    page.keyboard.press("Enter")
    sync_api.expect(page.locator("li[data-command] .state")).to_have_text(
        "canceled before the device picked it up")
    sync_api.expect(page.locator("#notice")).to_have_text("Canceled “fan on”.")
    sync_api.expect(page.get_by_role("button", name="Send “fan on” again")).to_be_focused()
