"""Bad input: a clear error naming the field, the value and the fix, on both runtimes,
and nothing reaches the network."""

import pytest
from devicevm import result

CONSTRUCTOR = [
    ({"account_sid": "AC123"}, "ValueError", "account_sid must be AC followed by 32 hex digits"),
    ({"account_sid": "SK" + "0" * 32}, "ValueError", "account_sid must be AC"),
    ({"auth_token": ""}, "ValueError", "auth_token is empty"),
    ({"auth_token": 5}, "TypeError", "auth_token must be a str, got int"),
    ({"number": "5551234"}, "ValueError", "number must be an E.164 number like +15551234567"),
    ({"number": "TooLongSenderID"}, "ValueError", "alphanumeric sender ID"),
    ({"number": "My Shop"}, "ok", ""),
    ({"number": "whatsapp:+14155238886"}, "ok", ""),
    ({"base_url": "ftp://x"}, "ValueError", "base_url must be an http(s):// URL"),
    ({"base_url": "http://x/y"}, "ValueError",
     "base_url must be scheme://host[:port] with no path"),
    ({"api_key": "SK1"}, "ValueError", "api_key must be SK followed by 32 hex digits"),
]
SENDS = [
    ({"to": "5551234", "message": "x"}, "ValueError",
     "to must be an E.164 number like +15551234567 (or whatsapp:+15551234567), got '5551234'"),
    ({"to": "15555555555", "message": "x"}, "ValueError", "did you mean '+15555555555'?"),
    ({"to": "+1 555-123-4567", "message": "x"}, "ValueError", "did you mean '+15551234567'?"),
    ({"to": "+1 (555) 123 4567", "message": "x"}, "ValueError", "did you mean '+15551234567'?"),
    ({"to": "+0123456789", "message": "x"}, "ValueError", "to must be an E.164 number"),
    ({"to": "+1234567890123456", "message": "x"}, "ValueError", "to must be an E.164 number"),
    ({"to": "+15551234567", "message": ""}, "ValueError", "message is empty"),
    ({"to": "+15551234567", "message": 42}, "TypeError", "message must be a str, got int"),
    ({"to": 15551234567, "message": "x"}, "TypeError", "to must be a str, got int"),
    ({"to": "+15551234567", "message": "é" * 1601}, "ValueError",
     "message is 1601 characters; Twilio accepts at most 1600"),
    ({"to": "whatsapp:+15551234567", "message": "x"}, "ValueError",
     "must both be whatsapp: addresses or both plain numbers"),
    ({"to": "+15551234567", "message": "x", "media_url": "ftp://a"}, "ValueError",
     "media_url must be an http(s):// URL, got 'ftp://a'"),
    ({"to": "+15551234567", "message": "x", "media_url": ["https://a"] * 11}, "ValueError",
     "media_url has 11 URLs; Twilio accepts at most 10"),
    ({"to": "+15551234567", "message": "x", "status_callback": "cb"}, "ValueError",
     "status_callback must be an http(s):// URL"),
]


def test_bad_input_is_refused_before_the_network(runtime, server):
    out = result(runtime, "validate.py", {
        "base_url": server.url(),
        "constructor": [c for c, _, _ in CONSTRUCTOR],
        "sends": [s for s, _, _ in SENDS],
    })
    for (case, kind, text), (got_kind, got_text) in zip(CONSTRUCTOR + SENDS, out, strict=True):
        assert got_kind == kind, (case, got_text)
        assert text in got_text, (case, got_text)
    assert server.requests == []


@pytest.mark.parametrize("body", ["é" * 1600, "😀" * 1600, "x" * 1600])
def test_1600_characters_is_the_limit_not_bytes(runtime, server, body):
    from devicevm import result as run_result

    [r] = run_result(runtime, "send.py", {"base_url": server.url(),
                                           "sends": [{"to": "+15551234567", "message": body}]})
    assert r["statuscode"] == 201
    assert server.requests[0]["form_body"] == body
