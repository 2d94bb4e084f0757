"""HMAC-SHA256 webhook signatures (Twilio's SharedKey signature settings) accepted by the
agent: signed as the official validator computes them, and end to end from a sandbox
number set to HMAC_SHA256."""

from urllib.parse import urlencode

import httpx
import pytest
from agenttest import (
    NUMBER,
    OWNER,
    AppClient,
    make_config,
    phone_texts,
    sandbox_messages,
    sms_params,
    wait_until,
)
from twilio.request_validator import SIGNATURE_SETTINGS_HEADER, RequestValidator
from utwilio_agent.app import create_app
from utwilio_sandbox.server import ServerThread
from utwilio_sandbox.settings import DEFAULT_AUTH_TOKEN

SECRET = "sandboxSharedKeySecret00000000001"
URL = "http://testserver/twilio/sms"
SETTINGS = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"


def post(client, secret=SECRET, algorithm="HMAC_SHA256", settings=SETTINGS, body="fan on"):
    params = sms_params(body)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(secret).compute_signature(
            URL, dict(params), algorithm=algorithm),
    }
    if settings is not None:
        headers[SIGNATURE_SETTINGS_HEADER] = settings
    return client.http.post("/twilio/sms", content=urlencode(params).encode(), headers=headers)


@pytest.fixture
def shared(clock):
    with AppClient(create_app(make_config(shared_key_secret=SECRET), clock=clock)) as client:
        yield client


def test_a_sha256_signature_with_the_shared_key_is_accepted(shared):
    r = post(shared)
    assert r.status_code == 200 and "Sent to greenhouse." in r.text


def test_the_auth_token_with_sha1_still_works_without_the_settings_header(shared):
    assert post(shared, DEFAULT_AUTH_TOKEN, "HMAC_SHA1", settings=None).status_code == 200


@pytest.mark.parametrize("secret, algorithm, settings", [
    (SECRET, "HMAC_SHA1", SETTINGS),  # the header says SHA-256
    (DEFAULT_AUTH_TOKEN, "HMAC_SHA256", SETTINGS),  # SHA-256, but with the auth token
    (SECRET, "HMAC_SHA256", None),  # no header: the auth token and SHA-1 are expected
    ("x" + SECRET, "HMAC_SHA256", SETTINGS),
    (SECRET, "HMAC_SHA256", "key=k,algorithm=HMAC_MD5"),
])
def test_anything_else_is_403_and_stores_nothing(shared, secret, algorithm, settings):
    r = post(shared, secret, algorithm, settings)
    assert r.status_code == 403
    assert shared.run(shared.agent.overview())["commands"] == []


def test_without_the_shared_key_configured_the_refusal_says_what_to_set(app_client):
    r = post(app_client)
    assert r.status_code == 403 and "TWILIO_SHARED_KEY_SECRET" in r.json()["error"]


def test_a_sandbox_number_set_to_hmac_sha256_reaches_the_agent(sandbox):
    config = make_config(shared_key_secret=SECRET, twilio_base_url=sandbox.url)
    with ServerThread(create_app(config)) as agent:
        r = httpx.post(sandbox.url + "/sandbox/numbers/" + NUMBER, data={
            "SmsUrl": agent.url + "/twilio/sms", "SignatureAlgorithm": "HMAC_SHA256",
            "SharedKeySecret": SECRET})
        assert r.status_code == 200, r.text
        phone_texts(sandbox, OWNER, NUMBER, "fan on")
        replies = wait_until(lambda: [m for m in sandbox_messages(sandbox, OWNER)
                                      if m["direction"] == "outbound-reply"], what="the reply")
        assert replies[0]["body"] == "Sent to greenhouse."
        assert httpx.get(sandbox.url + "/sandbox/alerts").json()["alerts"] == []
