"""The operator's page: off without a password, behind Basic auth, and it shows
devices, presence, queues, commands and messages, escaped."""

import base64

from agenttest import AppClient, make_config
from utwilio_agent.app import create_app


def basic(password):
    return {"Authorization": "Basic " + base64.b64encode(b"ops:" + password).decode()}


def test_the_dashboard_is_off_without_a_password(app_client):
    r = app_client.http.get("/dashboard")
    assert r.status_code == 404 and "UTWILIO_DASHBOARD_PASSWORD" in r.json()["error"]


def test_the_dashboard_shows_devices_queues_and_messages(clock):
    with AppClient(create_app(make_config(dashboard_password="pw"), clock=clock)) as client:
        assert client.http.get("/dashboard").status_code == 401
        assert client.http.get("/dashboard", headers=basic(b"wrong")).status_code == 401
        token = client.add_device("greenhouse")
        client.sms("<script>alert(1)</script>")
        client.sms("fan on")
        client.link(token, "greenhouse", "GET", "/commands?wait=0")
        r = client.http.get("/dashboard", headers=basic(b"pw"))
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        page = r.text
        assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        row = page[page.index("<td class=\"\">greenhouse</td>"):]
        assert '<td class="online">online</td>' in row[:200]
        assert "<td class=\"\">2</td>" in row[:400]  # two commands queued
        assert "none: utwilio-agent device add garage" in page
        assert token not in page
