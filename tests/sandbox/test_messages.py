import re

import pytest
from utwilio_sandbox.settings import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_API_KEY_SECRET,
    DEFAULT_API_KEY_SID,
    DEFAULT_MESSAGING_SERVICE_SID,
)

MESSAGES = "/2010-04-01/Accounts/%s/Messages.json" % DEFAULT_ACCOUNT_SID
FROM = "+15005550006"
TO = "+15551234567"
RFC2822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct"
    r"|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000$"
)


def send(client, **fields):
    data = {"To": TO, "From": FROM, "Body": "Greenhouse hot: 36.2C"}
    data.update(fields)
    return client.post(MESSAGES, data={k: v for k, v in data.items() if v is not None})


def assert_error(response, status, code, message=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["code"] == code and body["status"] == status
    assert body["more_info"] == "https://www.twilio.com/docs/errors/%d" % code
    if message is not None:
        assert body["message"] == message


def test_create_returns_every_field_twilio_returns(client):
    response = send(client, Body="Hi ünïcode", StatusCallback="https://example.test/status")
    assert response.status_code == 201
    message = response.json()
    sid = message["sid"]
    assert re.fullmatch(r"SM[0-9a-f]{32}", sid)
    base = "/2010-04-01/Accounts/%s/Messages/%s" % (DEFAULT_ACCOUNT_SID, sid)
    assert message == {
        "account_sid": DEFAULT_ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": "Hi ünïcode",
        "date_created": message["date_created"],
        "date_sent": None,
        "date_updated": message["date_updated"],
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": FROM,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": base + "/Media.json"},
        "to": TO,
        "uri": base + ".json",
    }
    assert RFC2822.match(message["date_created"]) and RFC2822.match(message["date_updated"])


def test_fetch_returns_the_created_message(client):
    created = send(client).json()
    fetched = client.get(created["uri"])
    assert fetched.status_code == 200
    assert fetched.json()["sid"] == created["sid"]
    assert fetched.json()["body"] == "Greenhouse hot: 36.2C"


def test_body_is_decoded_as_utf8_with_plus_as_space(client):
    raw = "To=%2B15551234567&From=%2B15005550006&Body=caf%C3%A9+%F0%9F%98%80+%26+more"
    response = client.post(
        MESSAGES, content=raw, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 201
    assert response.json()["body"] == "café 😀 & more"


def test_segments_are_counted_for_long_and_unicode_bodies(client):
    assert send(client, Body="a" * 161).json()["num_segments"] == "2"
    assert send(client, Body="😀" * 36).json()["num_segments"] == "2"


def test_media_urls_repeat_and_are_counted(client):
    data = [
        ("To", TO),
        ("From", FROM),
        ("MediaUrl", "https://example.test/a.jpg"),
        ("MediaUrl", "https://example.test/b.png"),
    ]
    response = client.post(
        MESSAGES,
        content="&".join(
            "%s=%s" % (k, v.replace("+", "%2B").replace(":", "%3A").replace("/", "%2F"))
            for k, v in data
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 201
    assert response.json()["num_media"] == "2"
    assert response.json()["body"] == ""


def test_whatsapp_addresses_keep_their_prefix(client):
    response = send(client, To="whatsapp:" + TO, From="whatsapp:" + FROM)
    assert response.status_code == 201
    assert response.json()["to"] == "whatsapp:" + TO
    assert response.json()["from"] == "whatsapp:" + FROM


def test_a_messaging_service_must_exist_and_be_well_formed(client):
    unknown = send(client, From=None, MessagingServiceSid="MG" + "a" * 32)
    assert_error(unknown, 400, 21701)
    assert_error(send(client, From=None, MessagingServiceSid="MG123"), 400, 21705)


def test_messaging_service_without_from_picks_a_number_and_is_accepted(client):
    service = DEFAULT_MESSAGING_SERVICE_SID  # the sandbox account's, holding its numbers
    response = send(client, From=None, MessagingServiceSid=service)
    assert response.status_code == 201
    assert response.json()["status"] == "accepted"
    assert response.json()["messaging_service_sid"] == service
    assert response.json()["from"] == FROM


@pytest.mark.parametrize(
    "fields, code, message",
    [
        ({"To": "+1555"}, 21211, "The 'To' number +1555 is not a valid phone number."),
        ({"To": "hello"}, 21211, "The 'To' number hello is not a valid phone number."),
        ({"To": None}, 21604, "A 'To' phone number is required."),
        ({"Body": None}, 21602, "Message body is required."),
        ({"Body": ""}, 21602, "Message body is required."),
        (
            {"Body": "x" * 1601},
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        ),
        ({"From": "+15559999999"}, 21606, None),
        ({"From": "nonsense!"}, 21212, None),
        ({"From": None}, 21603, None),
        ({"To": "+15005550004"}, 21610, "Attempt to send to unsubscribed recipient"),
        ({"To": "whatsapp:+15551234567"}, 21910, None),
        ({"StatusCallback": "not a url"}, 21609, None),
        ({"MediaUrl": "ftp://example.test/a.jpg"}, 21620, None),
    ],
)
def test_invalid_messages_get_twilio_errors(client, fields, code, message):
    assert_error(send(client, **fields), 400, code, message)


def test_a_body_of_exactly_1600_characters_is_accepted(client):
    assert send(client, Body="x" * 1600).status_code == 201


def test_opt_outs_can_be_added_and_removed(client):
    assert client.post("/sandbox/opt-outs", data={"Number": TO}).status_code == 204
    assert_error(send(client), 400, 21610)
    assert client.delete("/sandbox/opt-outs", params={"Number": TO}).status_code == 204
    assert send(client).status_code == 201


def test_api_key_credentials_work_with_the_account_in_the_path(client):
    response = client.post(
        MESSAGES,
        data={"To": TO, "From": FROM, "Body": "k"},
        auth=(DEFAULT_API_KEY_SID, DEFAULT_API_KEY_SECRET),
    )
    assert response.status_code == 201
    assert response.json()["account_sid"] == DEFAULT_ACCOUNT_SID


@pytest.mark.parametrize(
    "auth",
    [
        None,
        (DEFAULT_ACCOUNT_SID, "f" * 32),
        (DEFAULT_API_KEY_SID, "wrong"),
        ("AC" + "9" * 32, "0123456789abcdef0123456789abcdef"),
        ("nobody", "nothing"),
    ],
)
def test_bad_or_missing_credentials_get_20003(client, auth):
    client.auth = auth
    response = client.get(MESSAGES)
    assert_error(response, 401, 20003, "Authenticate")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'


def test_garbled_authorization_header_gets_20003(client):
    client.auth = None
    response = client.get(MESSAGES, headers={"Authorization": "Basic !!!notbase64"})
    assert_error(response, 401, 20003)


def test_another_accounts_path_gets_20003(client):
    other = "/2010-04-01/Accounts/AC%s/Messages.json" % ("1" * 32)
    assert_error(client.get(other), 401, 20003)


def test_unknown_message_and_unknown_path_get_20404(client):
    missing = MESSAGES.replace(".json", "/SM%s.json" % ("0" * 32))
    assert_error(
        client.get(missing), 404, 20404, "The requested resource %s was not found" % missing
    )
    assert_error(
        client.get("/2010-04-01/Accounts/%s/Nothing.json" % DEFAULT_ACCOUNT_SID), 404, 20404
    )


def test_wrong_method_gets_405(client):
    assert_error(client.put(MESSAGES), 405, 20004)


def _list(client, **params):
    response = client.get(MESSAGES, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_list_pages_like_twilio(client):
    sids = [send(client, Body="m%d" % i).json()["sid"] for i in range(5)]
    newest_first = sids[::-1]
    page = _list(client, PageSize=2)
    path = MESSAGES
    assert page["uri"] == path + "?PageSize=2&Page=0"
    assert page["first_page_uri"] == path + "?PageSize=2&Page=0"
    assert page["previous_page_uri"] is None
    assert (page["page"], page["page_size"], page["start"], page["end"]) == (0, 2, 0, 1)
    assert [m["sid"] for m in page["messages"]] == newest_first[:2]
    assert page["next_page_uri"] == path + "?PageSize=2&Page=1&PageToken=PA" + newest_first[1]
    seen = []
    while True:
        seen += [m["sid"] for m in page["messages"]]
        if page["next_page_uri"] is None:
            break
        page = client.get(page["next_page_uri"]).json()
    assert seen == newest_first
    assert (page["page"], page["start"], page["end"]) == (2, 4, 4)
    back = client.get(page["previous_page_uri"]).json()
    assert [m["sid"] for m in back["messages"]] == newest_first[2:4]


def test_list_filters_by_to_from_and_date_sent(client):
    send(client, To="+15550000001")
    send(client, To="+15550000002", From="+15017122661")
    assert [m["to"] for m in _list(client, To="+15550000001")["messages"]] == ["+15550000001"]
    assert [m["from"] for m in _list(client, From="+15017122661")["messages"]] == ["+15017122661"]
    listing = _list(client, To="+15550000001")
    assert listing["uri"].startswith(MESSAGES + "?To=%2B15550000001&PageSize=50")
    assert len(_list(client, **{"DateSent>": "2000-01-01"})["messages"]) == 2
    assert _list(client, **{"DateSent<": "2000-01-01"})["messages"] == []
    assert _list(client, DateSent="2000-01-01")["messages"] == []


def test_bad_date_filter_and_page_size_get_errors(client):
    assert_error(client.get(MESSAGES, params={"DateSent": "yesterday"}), 400, 20001)
    assert_error(client.get(MESSAGES, params={"PageSize": "1001"}), 400, 20007)
    assert _list(client, PageSize="1000")["page_size"] == 1000


def test_reset_forgets_messages_but_keeps_the_account(client):
    send(client)
    assert client.post("/sandbox/reset").status_code == 204
    assert _list(client)["messages"] == []
    assert send(client).status_code == 201


def test_sandbox_messages_shows_everything_sent_oldest_first(client):
    first, second = send(client, Body="one").json(), send(client, Body="two").json()
    seen = client.get("/sandbox/messages").json()["messages"]
    assert [m["sid"] for m in seen] == [first["sid"], second["sid"]]


def test_a_message_on_its_way_cannot_be_deleted_or_redacted(client):
    message = send(client).json()
    assert_error(client.delete(message["uri"]), 400, 20009)
    assert_error(client.post(message["uri"], data={"Body": ""}), 400, 20009)
    assert_error(client.post(message["uri"], data={"Status": "canceled"}), 400, 30409)


def test_an_update_is_a_redaction_or_a_cancel_and_nothing_else(client):
    """Twilio's 30400: no Body or Status, both at once, a Status other than canceled, or a
    Body that is not empty."""
    message = send(client).json()
    for data in ({}, {"Body": "", "Status": "canceled"}, {"Status": "sent"}, {"Body": "new"}):
        assert_error(client.post(message["uri"], data=data), 400, 30400)
    assert client.get(message["uri"]).json()["body"] == "Greenhouse hot: 36.2C"


def test_invalid_send_at_and_validity_period(client):
    service = DEFAULT_MESSAGING_SERVICE_SID
    base = {"From": None, "MessagingServiceSid": service}
    assert_error(send(client, SendAt="2099-01-01T00:00:00Z", **base), 400, 35126)
    assert_error(send(client, ScheduleType="fixed", **base), 400, 35111)
    assert_error(send(client, SendAt="soon", ScheduleType="fixed", **base), 400, 35114)
    assert_error(
        send(client, SendAt="2099-01-01T00:00:00Z", ScheduleType="fixed", **base), 400, 35114
    )
    assert_error(
        send(client, SendAt="2099-01-01T00:00:00Z", ScheduleType="fixed", MessagingServiceSid=None),
        400,
        35118,
    )
    assert_error(send(client, ValidityPeriod="0"), 400, 21624)
    assert send(client, ValidityPeriod="600").status_code == 201


def test_rate_limit_answers_429_with_retry_after(app, make_client_for):
    app.state.sandbox.settings.rate_limit = 2
    with make_client_for(app) as client:
        codes = [client.get(MESSAGES).status_code for _ in range(3)]
        limited = client.get(MESSAGES)
    assert codes[:2] == [200, 200] and limited.status_code == 429
    assert_error(limited, 429, 20429, "Too Many Requests")
    assert limited.headers["Retry-After"] == "1"
