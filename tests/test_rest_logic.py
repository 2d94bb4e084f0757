"""utwilio.rest logic on CPython without sockets: retries and backoff (through
`responses`, with a fake clock: nothing sleeps), which failures may be repeated,
parameter names, hosts, paging, errors."""

import json

import pytest
import responses
import utwilio
import utwilio.twilio
from utwilio import rest
from utwilio.errors import TransportError, TwilioError
from utwilio.requests_transport import RequestsTransport

SID = "AC" + "0" * 32
API = "https://api.twilio.com"
MESSAGES = API + "/2010-04-01/Accounts/%s/Messages.json" % SID
ACCOUNT = API + "/2010-04-01/Accounts/%s.json" % SID
MESSAGE = {"sid": "SM" + "a" * 32, "status": "queued"}


@pytest.fixture
def clock(monkeypatch):
    """Sleeps are recorded and move a fake ticks_ms clock instead of waiting."""

    class Clock:
        now = 0
        waits = []

        def sleep(self, seconds):
            self.waits.append(seconds)
            self.now += int(seconds * 1000)

    c = Clock()
    monkeypatch.setattr(rest, "_sleep", c.sleep)
    monkeypatch.setattr(rest.time, "ticks_ms", lambda: c.now)
    return c


def client(**options):
    options.setdefault("transport", RequestsTransport())
    return rest.Client(SID, "token", **options)


def answer(status, body=None, headers=None):
    return {"status": status, "json": body if body is not None else {"code": 20429,
            "message": "Too Many Requests", "more_info": "", "status": status},
            "headers": headers or {}}


# --- retries -----------------------------------------------------------------------

@responses.activate
def test_429_waits_as_long_as_retry_after_says(clock):
    responses.add(responses.POST, MESSAGES, **answer(429, headers={"Retry-After": "3"}))
    responses.add(responses.POST, MESSAGES, status=201, json=MESSAGE)
    r = client().messages.create(to="+15551234567", from_="+15017122661", body="hi")
    assert (r["statuscode"], r["sid"]) == (201, MESSAGE["sid"])
    assert clock.waits == [3]
    assert len(responses.calls) == 2


@responses.activate
def test_503_backs_off_1_2_4_seconds(clock):
    for _ in range(3):
        responses.add(responses.GET, ACCOUNT, **answer(503))
    responses.add(responses.GET, ACCOUNT, status=200, json={"sid": SID})
    assert client().accounts.fetch()["statuscode"] == 200
    assert clock.waits == [1, 2, 4]


@responses.activate
def test_retry_after_shorter_than_the_backoff_does_not_shorten_it(clock):
    for _ in range(2):
        responses.add(responses.GET, ACCOUNT, **answer(429, headers={"Retry-After": "1"}))
    responses.add(responses.GET, ACCOUNT, status=200, json={"sid": SID})
    client().accounts.fetch()
    assert clock.waits == [1, 2]


@responses.activate
def test_the_deadline_bounds_the_retries(clock):
    responses.add(responses.GET, ACCOUNT, **answer(429))
    r = client(deadline=10).accounts.fetch()
    assert (r["statuscode"], r["code"]) == (429, 20429)
    assert clock.waits == [1, 2, 4]  # a wait of 8 more would pass 10 s
    assert len(responses.calls) == 4


@responses.activate
def test_a_retry_after_past_the_deadline_is_not_waited_for(clock):
    responses.add(responses.GET, ACCOUNT, **answer(429, headers={"Retry-After": "3600"}))
    r = client(deadline=30).accounts.fetch()
    assert r["statuscode"] == 429 and clock.waits == [] and len(responses.calls) == 1


@responses.activate
def test_deadline_zero_turns_retries_off(clock):
    responses.add(responses.GET, ACCOUNT, **answer(503))
    assert client(deadline=0).accounts.fetch()["statuscode"] == 503
    assert clock.waits == []


@responses.activate
def test_a_retry_after_date_falls_back_to_the_backoff(clock):
    responses.add(responses.GET, ACCOUNT,
                  **answer(503, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}))
    responses.add(responses.GET, ACCOUNT, status=200, json={"sid": SID})
    client().accounts.fetch()
    assert clock.waits == [1]


class Failing:
    """A transport that fails with the given libcurl-style codes, then answers."""

    def __init__(self, *codes):
        self.codes = list(codes)
        self.calls = []

    def request(self, method, url, headers, body=None):
        self.calls.append((method, url))
        if self.codes:
            code = self.codes.pop(0)
            raise TransportError(code, "failure %d" % code)
        return 201, {}, json.dumps(MESSAGE).encode()


@pytest.mark.parametrize("code", [6, 7])
def test_a_post_that_never_left_is_repeated(clock, code):
    t = Failing(code)
    r = client(transport=t).messages.create(to="+15551234567", from_="+15017122661", body="x")
    assert r["statuscode"] == 201 and len(t.calls) == 2 and clock.waits == [1]


@pytest.mark.parametrize("code", [8, 18, 27, 28, 52, 55, 56, 63])
def test_a_post_that_may_have_reached_twilio_is_not_repeated(clock, code):
    t = Failing(code)
    r = client(transport=t).messages.create(to="+15551234567", from_="+15017122661", body="x")
    assert r["statuscode"] == code and len(t.calls) == 1 and clock.waits == []
    assert "may have reached Twilio, so it was not repeated" in r["message"]


@pytest.mark.parametrize("code", [35, 60])
def test_a_post_refused_at_the_handshake_is_not_repeated_and_says_why(clock, code):
    t = Failing(code)
    r = client(transport=t).messages.create(to="+15551234567", from_="+15017122661", body="x")
    assert r["statuscode"] == code and len(t.calls) == 1
    assert r["message"] == "failure %d" % code


@pytest.mark.parametrize("code", [6, 7, 18, 28, 52, 55, 56])
def test_a_get_or_delete_is_repeated_after_a_transient_failure(clock, code):
    t = Failing(code, code)
    assert client(transport=t).messages.fetch("SM" + "a" * 32)["statuscode"] == 201
    t = Failing(code)
    assert client(transport=t).messages.delete("SM" + "a" * 32)["statuscode"] == 201
    assert clock.waits == [1, 2, 1]


@pytest.mark.parametrize("code", [8, 27, 35, 60, 63])
def test_a_get_is_not_repeated_after_a_lasting_failure(clock, code):
    t = Failing(code)
    r = client(transport=t).messages.fetch("SM" + "a" * 32)
    assert r["statuscode"] == code and len(t.calls) == 1


def test_transport_failures_raise_with_raise_errors(clock):
    with pytest.raises(TwilioError) as e:
        client(transport=Failing(28), raise_errors=True).messages.create(
            to="+15551234567", from_="+15017122661", body="x")
    assert e.value.status == 28 and e.value.code is None
    assert "may have reached Twilio" in e.value.message


# --- errors ------------------------------------------------------------------------

@responses.activate
def test_a_twilio_error_carries_status_code_message_and_more_info():
    body = {"code": 21211, "message": "The 'To' number +15005550001 is not a valid phone "
            "number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}
    responses.add(responses.POST, MESSAGES, status=400, json=body)
    r = client().messages.create(to="+15005550001", from_="+15017122661", body="x")
    assert (r["statuscode"], r["code"], r["more_info"]) == (400, 21211, body["more_info"])
    assert r["message"] == body["message"] and r["data"] is None and r["sid"] is None
    with pytest.raises(TwilioError) as e:
        client(raise_errors=True).messages.create(to="+15005550001", from_="+15017122661",
                                                  body="x")
    assert (e.value.status, e.value.code, e.value.more_info) == (400, 21211, body["more_info"])
    assert e.value.response["statuscode"] == 400
    assert str(e.value) == "HTTP 400, Twilio error 21211: " + body["message"]


@responses.activate
def test_a_non_json_error_keeps_the_text():
    responses.add(responses.GET, ACCOUNT, status=502, body="<html>Bad gateway</html>")
    r = client(deadline=0).accounts.fetch()
    assert (r["statuscode"], r["code"], r["message"]) == (502, None, "<html>Bad gateway</html>")


@responses.activate
def test_delete_answers_204_with_no_data():
    url = API + "/2010-04-01/Accounts/%s/Messages/SM%s.json" % (SID, "a" * 32)
    responses.add(responses.DELETE, url, status=204)
    r = client(raise_errors=True).messages.delete("SM" + "a" * 32)
    assert (r["statuscode"], r["data"], r["code"]) == (204, None, None)


class _NoRoom:
    @staticmethod
    def loads(data):
        raise MemoryError


def test_an_answer_too_big_to_parse_is_reported_with_its_status(monkeypatch):
    """The SMS was accepted (201) even if the device cannot read the answer: say so,
    do not raise MemoryError (a retry would send it twice)."""
    monkeypatch.setattr(utwilio.twilio, "json", _NoRoom)
    r = client(transport=Failing(), raise_errors=True).messages.create(
        to="+15551234567", from_="+15017122661", body="x")
    assert (r["statuscode"], r["sid"], r["data"]) == (201, None, None)
    assert r["message"].startswith("out of memory reading the ")
    with pytest.raises(TwilioError) as e:
        list(client(transport=Failing(), raise_errors=True).messages.list())
    assert e.value.status == 201 and "page_size=" in e.value.message


# --- parameters, hosts, credentials ------------------------------------------------

@pytest.mark.parametrize("python,twilio", [
    ("to", "To"), ("from_", "From"), ("status_callback_event", "StatusCallbackEvent"),
    ("messaging_service_sid", "MessagingServiceSid"), ("date_sent_before", "DateSent<"),
    ("date_sent_after", "DateSent>"), ("start_time_after", "StartTime>"), ("ttl", "Ttl"),
    ("sms_url", "SmsUrl"), ("MaxPrice", "MaxPrice"), ("DateSent<", "DateSent<"),
])
def test_parameter_names(python, twilio):
    assert rest._name(python) == twilio


def test_parameter_values():
    assert rest._pairs({"record": True, "smart_encoded": False, "timeout": 20, "url": None,
                        "media_url": ["a", "b"], "to": "+1"}) == [
        ("MediaUrl", "a"), ("MediaUrl", "b"), ("Record", "true"), ("SmartEncoded", "false"),
        ("Timeout", "20"), ("To", "+1")]


def test_hosts():
    real = client()
    assert real.url("api", "/x") == "https://api.twilio.com/x"
    assert real.url("lookups", "/v2/x") == "https://lookups.twilio.com/v2/x"
    sandbox = client(base_url="http://127.0.0.1:8010")
    assert sandbox.url("lookups", "/v2/x") == "http://127.0.0.1:8010/v2/x"
    mapped = client(hosts={"lookups": "https://proxy.test"})
    assert mapped.url("lookups", "/v2/x") == "https://proxy.test/v2/x"
    assert mapped.url("api", "/x") == "https://api.twilio.com/x"


def test_mapped_hosts_are_checked():
    with pytest.raises(ValueError, match="base_url must be scheme://host"):
        client(hosts={"lookups": "https://proxy.test/v2"})


def test_the_auth_token_never_shows():
    c = client()
    assert "token" not in repr(c) and SID in repr(c)
    assert "token" not in repr(c.accounts(SID)) and "token" not in repr(c.messages)


def test_bad_options_are_refused_before_the_network():
    with pytest.raises(ValueError, match="AC followed by 32 hex digits"):
        rest.Client("AC123", "token", transport=Failing())
    with pytest.raises(ValueError, match="not both"):
        rest.Client(SID, "token", credentials="work", transport=Failing())
    with pytest.raises(ValueError, match="page_size must be 1 to 1000"):
        client().messages.list(page_size=1001)
    with pytest.raises(ValueError, match="cadata is a PEM certificate"):
        rest.Client(SID, "token", cadata=b"-----BEGIN CERTIFICATE-----").transport.context()
    rest.Client(SID, "token")  # the bundled roots are read on the first HTTPS request


# --- paging ------------------------------------------------------------------------

def _pages(count, size):
    """Twilio-shaped pages of messages, linked by next_page_uri."""
    base = "/2010-04-01/Accounts/%s/Messages.json" % SID
    path = base + "?PageSize=%d" % size
    for page in range(count):
        records = [{"sid": "SM%032d" % (page * size + i)} for i in range(size)]
        nxt = "%s?PageSize=%d&Page=%d&PageToken=PA%s" % (base, size, page + 1,
                                                          records[-1]["sid"])
        body = {"messages": records, "next_page_uri": nxt if page + 1 < count else None,
                "page": page, "page_size": size}
        responses.add(responses.GET, API + path, json=body)
        path = nxt


@responses.activate
def test_list_follows_next_page_uri_and_stops_at_the_limit():
    _pages(3, 2)
    it = client().messages.list(limit=3, page_size=2)
    assert [m["sid"][-2:] for m in it] == ["00", "01", "02"]
    assert len(responses.calls) == 2  # the third page was never asked for
    assert it.error is None


@responses.activate
def test_list_reads_every_page_once():
    _pages(3, 2)
    assert len(list(client().messages.list(page_size=2))) == 6
    assert [c.request.url.split("Page=")[-1][:1] for c in responses.calls[1:]] == ["1", "2"]


@responses.activate
def test_the_page_size_follows_a_small_limit():
    responses.add(responses.GET, MESSAGES + "?PageSize=5", json={"messages": []})
    assert list(client().messages.list(limit=5)) == []


def test_a_page_too_big_for_the_device_says_what_to_do():
    it = client(transport=Failing(63)).messages.list()
    assert list(it) == []
    assert it.error["statuscode"] == 63 and "page_size=" in it.error["message"]


# --- the operations table (docs/rest.md) ---------------------------------------------

def test_every_test_the_operations_table_names_exists():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent
    page = (root.parent / "docs" / "rest.md").read_text()
    table = page[page.index("## Every resource, its calls, and the test that proves them"):]
    named = set(re.findall(r"`(test_\w+)`", table))
    defined = set()
    for path in root.glob("test_rest*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", path.read_text(), re.M))
    files = set(re.findall(r"`tests/(test_\w+\.py)`", table))
    assert named and named <= defined, sorted(named - defined)
    assert all((root / f).exists() for f in files), files
