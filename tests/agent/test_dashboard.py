"""The console's data and actions without a browser: off without a password, behind
Basic auth; device cards; plots of numeric fields; send, cancel and send again with
CSRF checks; delivery statuses in words; the live stream."""

import base64
import json

import httpx
import pytest
from agenttest import AppClient, DeviceClient, LiveAgent, make_config, post_sms
from utwilio_agent.app import create_app
from utwilio_agent.console import access, words
from utwilio_agent.store import Message

TOKEN = access.csrf_token("pw")


def basic(password, user=b"ops"):
    return {"Authorization": "Basic " + base64.b64encode(user + b":" + password).decode()}


def action(**extra):
    """The headers the console's own page sends with an action."""
    headers = dict(basic(b"pw"), **{"X-CSRF-Token": TOKEN, "Content-Type": "application/json",
                                    "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
    headers.update(extra)
    return headers


@pytest.fixture
def console(clock):
    with AppClient(create_app(make_config(dashboard_password="pw"), clock=clock)) as client:
        client.token = client.add_device("greenhouse")
        yield client


def test_the_dashboard_is_off_without_a_password(app_client):
    r = app_client.http.get("/dashboard")
    assert r.status_code == 404 and "UTWILIO_DASHBOARD_PASSWORD" in r.json()["error"]


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/devices/greenhouse",
                                  "/dashboard/api/overview", "/dashboard/live/overview"])
def test_every_page_needs_the_password(console, path):
    assert console.http.get(path).status_code == 401
    assert console.http.get(path, headers=basic(b"wrong")).status_code == 401
    r = console.http.post("/dashboard/api/devices/greenhouse/commands", json={"text": "x"},
                          headers={"X-CSRF-Token": TOKEN})
    assert r.status_code == 401


def test_a_page_is_a_shell_with_the_csrf_token_and_a_strict_policy(console):
    r = console.http.get("/dashboard/devices/greenhouse", headers=basic(b"pw"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<meta name="csrf-token" content="%s">' % TOKEN in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert console.token not in r.text
    assert console.http.get("/dashboard/devices/nosuch", headers=basic(b"pw")).status_code == 404
    for name in ("utwilio.css", "console.js", "plot.js", "icon.svg"):
        assert console.http.get("/dashboard/static/" + name).status_code == 200


def test_cards_show_presence_queue_last_command_events_and_alert_budget(console, clock):
    console.sms("<script>alert(1)</script>")
    console.sms("fan on")
    console.link(console.token, "greenhouse", "POST", "/events",
                 json={"name": "reading", "data": {"temp": 21.5, "where": "<b>serre</b>"}})
    data = console.http.get("/dashboard/api/overview", headers=basic(b"pw")).json()
    garage, greenhouse = data["devices"]
    assert greenhouse["id"] == "greenhouse" and greenhouse["online"] is True
    assert greenhouse["queued"] == 2 and greenhouse["alerts_left"] == 10
    assert greenhouse["last_command"]["text"] == "fan on"
    assert greenhouse["last_command"]["words"] == "waiting for greenhouse to pick it up"
    assert greenhouse["events"][0]["text"] == 'temp 21.5, where "<b>serre</b>"'
    assert garage["online"] is False and garage["last_seen"] is None
    assert "utwilio-agent device add garage" in garage["problems"][0]
    clock.now += 91
    data = console.http.get("/dashboard/api/overview", headers=basic(b"pw")).json()
    assert data["devices"][1]["online"] is False


def test_plots_carry_numeric_fields_with_alert_and_command_marks(console, clock):
    for temp in (20.5, 21, 22.25):
        console.link(console.token, "greenhouse", "POST", "/events",
                     json={"name": "reading", "data": {"temp": temp, "ok": True, "note": "x"}})
        clock.now += 60
    console.link(console.token, "greenhouse", "POST", "/events", json={"name": "rssi",
                                                                      "data": -61})
    console.sms("fan on")
    console.run(console.agent.store.claim_alert("greenhouse", "hot", clock.now, 10, 0))
    data = console.http.get("/dashboard/api/devices/greenhouse?range=15m",
                            headers=basic(b"pw")).json()
    assert [p["field"] for p in data["plots"]] == ["reading.temp", "rssi"]
    assert [v for _, v in data["plots"][0]["points"]] == [20.5, 21, 22.25]
    assert sorted(m["label"] for m in data["marks"]) == ["alert: hot", "command: fan on"]
    clock.now += 3600
    data = console.http.get("/dashboard/api/devices/greenhouse?range=15m",
                            headers=basic(b"pw")).json()
    assert data["plots"] == [] and data["marks"] == []
    r = console.http.get("/dashboard/api/devices/greenhouse?range=2y", headers=basic(b"pw"))
    assert r.status_code == 400 and "15m, 1h, 6h, 24h, 7d" in r.json()["error"]


def test_a_command_sent_from_the_page_is_queued_and_logged_with_who(console):
    r = console.http.post("/dashboard/api/devices/greenhouse/commands",
                          json={"text": "fan on"}, headers=action())
    assert r.status_code == 201, r.text
    assert r.json()["command"]["from"] == "this console"
    [command] = console.link(console.token, "greenhouse", "GET", "/commands?wait=0").json()[
        "commands"]
    assert command["text"] == "fan on" and command["from"] == "console"
    console.link(console.token, "greenhouse", "POST", "/commands/%s/ack" % command["id"],
                 json={"reply": "fan is on"})
    data = console.http.get("/dashboard/api/devices/greenhouse", headers=basic(b"pw")).json()
    assert data["commands"][0]["reply"] == "fan is on" and data["commands"][0]["tone"] == "ok"
    [logged] = console.http.get("/dashboard/api/overview", headers=basic(b"pw")).json()["actions"]
    assert logged["who"] == "ops from testclient" and logged["action"] == "sent"
    assert logged["detail"] == "fan on" and logged["at"] > 0


@pytest.mark.parametrize("change, why", [
    ({"X-CSRF-Token": ""}, "X-CSRF-Token"),
    ({"X-CSRF-Token": access.csrf_token("other")}, "X-CSRF-Token"),
    ({"Origin": "https://evil.example"}, "another site"),
    ({"Sec-Fetch-Site": "cross-site"}, "another site"),
    ({"Content-Type": "application/x-www-form-urlencoded"}, "application/json"),
])
def test_an_action_without_the_page_s_proof_is_refused(console, change, why):
    r = console.http.post("/dashboard/api/devices/greenhouse/commands",
                          content=json.dumps({"text": "fan on"}), headers=action(**change))
    assert r.status_code == 403 and why in r.json()["error"]
    assert console.link(console.token, "greenhouse", "GET", "/commands?wait=0").json()[
        "commands"] == []


@pytest.mark.parametrize("body, why", [({}, '"text"'), ({"text": "  "}, '"text"'),
                                       ({"text": "x" * 1601}, "at most 1600")])
def test_a_bad_command_says_what_to_send(console, body, why):
    r = console.http.post("/dashboard/api/devices/greenhouse/commands", json=body,
                          headers=action())
    assert r.status_code == 400 and why in r.json()["error"]


def test_cancel_before_pickup_then_send_again(console):
    console.sms("fan on")
    console.sms("status")
    data = console.http.get("/dashboard/api/devices/greenhouse", headers=basic(b"pw")).json()
    status, fan = data["commands"]
    r = console.http.post("/dashboard/api/commands/%s/cancel" % fan["id"], headers=action())
    assert r.status_code == 200 and r.json()["command"]["can_retry"] is True
    [delivered] = console.link(console.token, "greenhouse", "GET", "/commands?wait=0").json()[
        "commands"]
    assert delivered["text"] == "status"
    r = console.http.post("/dashboard/api/commands/%s/cancel" % status["id"], headers=action())
    assert r.status_code == 409 and "picked up by greenhouse" in r.json()["error"]
    r = console.http.post("/dashboard/api/commands/%s/retry" % status["id"], headers=action())
    assert r.status_code == 409 and "expired or canceled" in r.json()["error"]
    r = console.http.post("/dashboard/api/commands/%s/retry" % fan["id"], headers=action())
    assert r.status_code == 201
    again = r.json()["command"]
    assert again["text"] == "fan on" and again["id"] != fan["id"]
    assert again["from"] == fan["from"]  # the reply goes to whoever texted it first
    polled = console.link(console.token, "greenhouse", "GET", "/commands?wait=0").json()
    assert [c["text"] for c in polled["commands"]] == ["status", "fan on"]
    actions = console.http.get("/dashboard/api/overview", headers=basic(b"pw")).json()["actions"]
    assert [a["action"] for a in actions] == ["sent again", "canceled"]
    r = console.http.post("/dashboard/api/commands/CMnosuch/cancel", headers=action())
    assert r.status_code == 404


def _message(**kw):
    values = dict(id=1, device="greenhouse", kind="alert", to="+15551234567",
                  sender="+15005550006", body="hot", state="sent", created=0.0)
    values.update(kw)
    return Message(**values)


def test_delivery_statuses_are_words_with_twilio_s_error_pages():
    delivered = words.message(_message(status="delivered"))
    assert delivered["words"] == "delivered" and delivered["tone"] == "ok"
    assert [s["state"] for s in delivered["steps"]] == ["done", "done", "done"]
    queued = words.message(_message(status="queued"))
    assert queued["words"] == "queued at Twilio"
    assert [s["state"] for s in queued["steps"]] == ["done", "todo", "todo"]
    lost = words.message(_message(status="undelivered", error_code=30003))
    assert [s["state"] for s in lost["steps"]] == ["done", "done", "failed"]
    assert lost["error"] == {"code": 30003, "url": "https://www.twilio.com/docs/api/errors/30003",
                             "meaning": "the phone is unreachable: switched off or out of "
                                        "coverage"}
    refused = words.message(_message(state="failed", error_code=21610, error="Unsubscribed"))
    assert refused["words"] == "not sent: Twilio refused it"
    assert refused["error"]["meaning"].startswith("the recipient replied STOP")
    odd = words.message(_message(state="failed", error_code=21999, error="Something new"))
    assert odd["error"]["meaning"] == "Something new"
    twiml = words.message(_message(state="twiml", kind="reply"))
    assert twiml["words"].startswith("sent in the answer to the text") and not twiml["steps"]


def sse_events(response):
    """The data of each server-sent event, as it arrives."""
    for line in response.iter_lines():
        if line.startswith("data: "):
            yield json.loads(line[6:])


def test_the_live_stream_sends_a_change_at_once():
    with LiveAgent(make_config(dashboard_password="pw")) as live:
        device = DeviceClient(live.url, "greenhouse", live.add_device("greenhouse"))
        with httpx.stream("GET", live.url + "/dashboard/live/devices/greenhouse",
                          headers=basic(b"pw"), timeout=30) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            assert r.headers["content-encoding"] == "gzip"  # one compressor, flushed per event
            events = sse_events(r)
            assert next(events)["commands"] == []
            assert post_sms(live.url, "fan on").status_code == 200
            assert next(events)["commands"][0]["text"] == "fan on"
            device.http.post(device.base + "/events", json={"name": "reading",
                                                            "data": {"temp": 20}})
            update = next(events)
            while not update["plots"]:
                update = next(events)
            assert update["plots"][0]["points"][0][1] == 20
        device.close()


def test_one_agent_s_page_shows_what_another_agent_on_the_same_database_accepted(
        tmp_path, store_kind, database):
    """Two agents on one database (a SQLite file, or PostgreSQL as several agents are
    run): a text webhook that reached the second, and a cancel on the second's console,
    show on the first one's live page, though the first agent itself changed nothing."""
    shared = database if store_kind == "postgres" else str(tmp_path / "shared.db")
    with LiveAgent(make_config(dashboard_password="pw", database=shared)) as first, \
            LiveAgent(make_config(dashboard_password="pw", database=shared)) as second:
        first.add_device("greenhouse")
        with httpx.stream("GET", first.url + "/dashboard/live/overview", headers=basic(b"pw"),
                          timeout=30) as r:
            events = sse_events(r)
            update = next(events)
            assert update["devices"][1]["last_command"] is None
            assert post_sms(second.url, "fan on").status_code == 200
            while update["devices"][1]["last_command"] is None:
                update = next(events)
            assert update["devices"][1]["last_command"]["text"] == "fan on"
            assert update["devices"][1]["queued"] == 1
            fan = update["devices"][1]["last_command"]
            assert httpx.post(second.url + "/dashboard/api/commands/%s/cancel" % fan["id"],
                              headers=action(Origin=second.url)).status_code == 200
            while update["devices"][1]["queued"]:
                update = next(events)
            assert update["devices"][1]["last_command"]["words"].startswith("canceled")


def test_on_postgresql_another_agent_s_command_shows_at_once_by_its_notify(
        store_kind, monkeypatch):
    """Several agents on PostgreSQL: the command another agent accepted reaches this
    agent's page by that agent's NOTIFY, not by the once-a-second re-read."""
    if store_kind != "postgres":
        pytest.skip("NOTIFY is PostgreSQL's")
    from utwilio_agent import housekeeping
    from utwilio_agent.console import feed

    # No re-read and no tick (whose expiry pass is a write) during the test.
    monkeypatch.setattr(feed, "REREAD", 3600.0)
    monkeypatch.setattr(housekeeping, "TICK", 3600.0)
    with LiveAgent(make_config(dashboard_password="pw")) as first, \
            LiveAgent(make_config(dashboard_password="pw")) as second:
        first.add_device("greenhouse")
        with httpx.stream("GET", first.url + "/dashboard/live/overview", headers=basic(b"pw"),
                          timeout=20) as r:
            events = sse_events(r)
            update = next(events)
            assert update["devices"][1]["last_command"] is None
            assert post_sms(second.url, "fan on").status_code == 200
            update = next(events)
            assert update["devices"][1]["last_command"]["text"] == "fan on"


def test_a_store_without_the_console_s_methods_says_which_one_is_missing(console, monkeypatch):
    from utwilio_agent.store import Store

    store = console.agent.store.inner  # the store under the console's Watched
    monkeypatch.setattr(type(store), "device_summaries", Store.device_summaries)
    for path in ("/dashboard/api/overview", "/dashboard/live/overview"):
        r = console.http.get(path, headers=basic(b"pw"))
        assert r.status_code == 501 and "device_summaries" in r.json()["error"]


def test_a_device_s_history_pages_back_to_the_oldest(console, clock):
    from utwilio_agent.ids import new_id

    for i in range(250):
        console.run(console.agent.store.add_event(new_id("EV"), "greenhouse", "tick", i,
                                                  clock.now - 250 + i))
    page = console.http.get("/dashboard/api/devices/greenhouse", headers=basic(b"pw")).json()
    assert page["history_page"] == 200 and len(page["events"]) == 200
    oldest = page["events"][-1]["created"]
    r = console.http.get("/dashboard/api/devices/greenhouse/history?before=%r" % oldest,
                         headers=basic(b"pw"))
    assert [e["text"] for e in r.json()["events"]] == [str(i) for i in range(49, -1, -1)]
    r = console.http.get("/dashboard/api/devices/greenhouse/history?before=yesterday",
                         headers=basic(b"pw"))
    assert r.status_code == 400 and "unix time" in r.json()["error"]


def test_the_console_s_files_ship_in_the_package():
    """A pip-installed agent serves its console offline: every static file is package
    data (pyproject.toml), nothing comes from a CDN."""
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    setup = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "utwilio_agent.console" in setup["packages"]
    [pattern] = setup["package-data"]["utwilio_agent.console"]
    static = root / "agent" / "console" / "static"
    for path in static.iterdir():
        assert fnmatch.fnmatch("static/" + path.name, pattern), path
        assert "://" not in path.read_text().replace("http://www.w3.org/2000/svg", "")
