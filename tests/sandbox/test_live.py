"""The sandbox over real sockets: plain HTTP, HTTPS, and the official twilio client."""

import ssl

import httpx
import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from utwilio_sandbox.clients import twilio_client
from utwilio_sandbox.server import SandboxServer
from utwilio_sandbox.settings import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_API_KEY_SECRET,
    DEFAULT_API_KEY_SID,
    DEFAULT_AUTH_TOKEN,
)

AUTH = (DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
MESSAGES = "/2010-04-01/Accounts/%s/Messages.json" % DEFAULT_ACCOUNT_SID
SMS = {"To": "+15551234567", "From": "+15005550006", "Body": "Greenhouse hot: 36.2C"}


def test_send_and_list_over_http(live):
    created = httpx.post(live.url + MESSAGES, data=SMS, auth=AUTH)
    assert created.status_code == 201
    listing = httpx.get(live.url + MESSAGES, auth=AUTH).json()
    assert [m["sid"] for m in listing["messages"]] == [created.json()["sid"]]


def test_send_over_https_with_a_verified_certificate(tls_server):
    with httpx.Client(verify=ssl.create_default_context(cafile=tls_server.ca_path)) as client:
        created = client.post(tls_server.url + MESSAGES, data=SMS, auth=AUTH)
        assert created.status_code == 201
        assert (
            client.get(tls_server.url + created.json()["uri"], auth=AUTH).json()["body"]
            == SMS["Body"]
        )


def test_https_refuses_a_client_that_does_not_trust_the_ca(tls_server):
    with pytest.raises(httpx.ConnectError):
        httpx.get(tls_server.url + MESSAGES, auth=AUTH, verify=True)


def test_state_survives_a_restart_with_a_database_file(tmp_path):
    db = str(tmp_path / "sandbox.sqlite3")
    with SandboxServer(db_path=db) as first:
        sid = httpx.post(first.url + MESSAGES, data=SMS, auth=AUTH).json()["sid"]
    with SandboxServer(db_path=db) as second:
        fetched = httpx.get(second.url + MESSAGES.replace(".json", "/%s.json" % sid), auth=AUTH)
        assert fetched.status_code == 200
        assert fetched.json()["body"] == SMS["Body"]


def test_official_client_creates_fetches_and_lists(live):
    client = twilio_client(live.url)
    created = client.messages.create(
        to="+15551234567",
        from_="+15005550006",
        body="Fan on ✓",
        media_url=["https://example.test/a.jpg", "https://example.test/b.jpg"],
    )
    assert created.sid.startswith("SM") and created.status == "queued"
    assert created.num_media == "2" and created.date_created.year >= 2026
    fetched = client.messages(created.sid).fetch()
    assert fetched.body == "Fan on ✓" and fetched.to == "+15551234567"
    for i in range(4):
        client.messages.create(to="+15551234567", from_="+15005550006", body="n%d" % i)
    listed = client.messages.list(page_size=2)  # five messages: three pages
    assert len(listed) == 5
    assert listed[-1].sid == created.sid
    assert [m.body for m in client.messages.list(limit=2)] == ["n3", "n2"]
    page = client.messages.page(page_size=2)
    assert page.next_page().next_page().next_page() is None


def test_official_client_with_an_api_key(live):
    client = twilio_client(
        live.url, DEFAULT_API_KEY_SID, DEFAULT_API_KEY_SECRET, account_sid=DEFAULT_ACCOUNT_SID
    )
    message = client.messages.create(to="+15551234567", from_="+15005550006", body="key")
    assert message.account_sid == DEFAULT_ACCOUNT_SID


def test_official_client_over_https(tls_server):
    client = twilio_client(tls_server.url, verify=tls_server.ca_path)
    created = client.messages.create(to="+15551234567", from_="+15005550006", body="tls")
    assert client.messages(created.sid).fetch().body == "tls"


@pytest.mark.parametrize(
    "call, code, status",
    [
        (lambda c: c.messages.create(to="+1555", from_="+15005550006", body="x"), 21211, 400),
        (lambda c: c.messages.create(to="+15551234567", from_="+15005550006"), 21602, 400),
        (lambda c: c.messages("SM" + "0" * 32).fetch(), 20404, 404),
    ],
)
def test_official_client_raises_twilio_errors(live, call, code, status):
    with pytest.raises(TwilioRestException) as raised:
        call(twilio_client(live.url))
    assert (raised.value.code, raised.value.status) == (code, status)


def test_official_client_with_a_wrong_token_gets_20003(live):
    client = twilio_client(live.url, DEFAULT_ACCOUNT_SID, "f" * 32)
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to="+15551234567", from_="+15005550006", body="x")
    assert (raised.value.code, raised.value.status) == (20003, 401)
    assert raised.value.msg.endswith("Authenticate")


def test_official_client_reports_a_page_size_over_1000(live):
    with pytest.raises(TwilioException, match="20007"):
        twilio_client(live.url).messages.list(page_size=1001)
