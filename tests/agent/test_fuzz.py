"""Hypothesis throws arbitrary requests at every endpoint: wrong methods, paths,
headers, tokens, signatures, forms (signed and not), JSON and bytes. Whatever it
sends, the agent answers without a 5xx."""

import base64
import json
from urllib.parse import urlencode

import pytest
from agenttest import NUMBER, OTHER_NUMBER, OWNER, AppClient, Clock, make_config, signed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from utwilio_agent.app import create_app

PATHS = [
    "/twilio/sms", "/twilio/status", "/dashboard", "/healthz",
    "/link/v1/devices/{device}/commands", "/link/v1/devices/{device}/commands/{cmd}/ack",
    "/link/v1/devices/{device}/events", "/link/v1/devices/{device}/alerts",
]
FIELDS = ["From", "To", "Body", "MessageSid", "SmsSid", "MessageStatus", "ErrorCode",
          "NumMedia", "AccountSid", "MediaUrl0"]

text = st.text(max_size=40)
# Strings no database stores: a NUL, lone UTF-16 surrogates (JSON's "\ud83d").
unstorable = st.sampled_from(["a\x00b", "\ud83d", "ok \udc00", "\x00"])
values = st.one_of(text, st.sampled_from([  # a form is UTF-8: surrogates cannot come
    "a\x00b", "\x00",
    OWNER, NUMBER, OTHER_NUMBER, "garage: open", "fan on", "delivered", "30003", "SM1", "",
    "99999999999999999999", "2147483648", "-1"]))
form_pairs = st.lists(st.tuples(st.one_of(st.sampled_from(FIELDS), text), values), max_size=8)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text | unstorable,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=10,
)
json_bodies = st.one_of(
    st.fixed_dictionaries({}, optional={"reply": st.one_of(st.none(), text, st.integers(),
                                                           unstorable),
                                        "name": json_values, "data": json_values,
                                        "message": json_values, "key": json_values}),
    json_values,
)


@pytest.fixture
def fuzz_client(database):
    # max_wait=0: polls never block the fuzzer.
    config = make_config(max_wait=0, dashboard_password="pw", unknown_sender_reply="who?")
    with AppClient(create_app(config, clock=Clock())) as client:
        client.tokens = {name: client.add_device(name) for name in ("greenhouse", "garage")}
        yield client


@st.composite
def requests(draw, client):
    template = draw(st.sampled_from(PATHS))
    device = draw(st.sampled_from(["greenhouse", "garage", "nosuch", "a b", "..", "x" * 70]))
    path = template.format(device=device, cmd=draw(st.sampled_from(["CM" + "0" * 32, "%", "x"])))
    if draw(st.booleans()):
        path += "?" + urlencode(draw(st.lists(st.tuples(st.sampled_from(["wait", "x"]),
                                                        st.sampled_from(["0", "1", "-1", "61",
                                                                         "abc", ""])),
                                              max_size=2)))
    method = draw(st.sampled_from(["GET", "POST", "POST", "PUT", "DELETE"]))
    headers = {}
    auth = draw(st.sampled_from(["none", "greenhouse", "garage", "junk", "basic", "dashboard"]))
    if auth in client.tokens:
        headers["Authorization"] = "Bearer " + client.tokens[auth]
    elif auth == "junk":
        headers["Authorization"] = "Bearer " + draw(st.text(alphabet="abcXYZ-_0", max_size=50))
    elif auth == "dashboard":
        headers["Authorization"] = "Basic " + base64.b64encode(b"ops:pw").decode()
    elif auth == "basic":
        headers["Authorization"] = "Basic " + draw(st.text(alphabet="abcXYZ=+/0", max_size=30))
    kind = draw(st.sampled_from(["signed form", "form", "json", "bytes", "none"]))
    body = b""
    if kind in ("signed form", "form"):
        pairs = draw(form_pairs)
        url = "http://testserver" + path
        body, signed_headers = signed(url, pairs)
        if kind == "form":
            signed_headers["X-Twilio-Signature"] = draw(st.text(max_size=30).filter(str.isascii))
        headers.update(signed_headers)
    elif kind == "json":
        body = json.dumps(draw(json_bodies)).encode()
        headers["Content-Type"] = "application/json"
    elif kind == "bytes":
        body = draw(st.binary(max_size=300))
        headers["Content-Type"] = draw(st.sampled_from(
            ["application/x-www-form-urlencoded", "application/json", "text/plain"]))
    return method, path, headers, body


FIXTURE_PER_TEST = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]


@settings(max_examples=600, deadline=None, suppress_health_check=FIXTURE_PER_TEST)
@given(data=st.data())
def test_no_request_makes_a_5xx(fuzz_client, data):
    method, path, headers, body = data.draw(requests(fuzz_client))
    r = fuzz_client.http.request(method, path, headers=headers, content=body)
    assert r.status_code < 500, (method, path, headers, body, r.status_code, r.text)


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURE_PER_TEST)
@given(pairs=form_pairs)
def test_any_signed_inbound_sms_gets_twiml_or_a_400(fuzz_client, pairs):
    body, headers = signed("http://testserver/twilio/sms", pairs)
    r = fuzz_client.http.post("/twilio/sms", content=body, headers=headers)
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        assert r.text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response')
