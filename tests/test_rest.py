"""utwilio.rest on both runtimes over real sockets: every operation of the seeds
(the operations table in docs/rest.md) against the local Twilio sandbox (more resources
in tests/test_rest_resources.py), and what the wire must carry against canned answers
(tests/httpserver.py)."""

from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest
from devicevm import result
from utwilio_sandbox.server import SandboxServer
from utwilio_sandbox.settings import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_API_KEY_SECRET,
    DEFAULT_API_KEY_SID,
    DEFAULT_AUTH_TOKEN,
)

SID, TOKEN = DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
OURS, OTHER = "+15005550006", "+15017122661"
TO = "+15551234567"


@pytest.fixture(scope="module")
def sandbox_server():
    # Nothing moves by itself: tests move the sandbox's clock (advance_until()).
    with SandboxServer(step_seconds=3600) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server):
    sandbox_server.sandbox.reset()
    return sandbox_server


def run(runtime, url, ops, imports=(), **client):
    """Runs the ops (expressions, or (name, expression) to keep the value) on the device."""
    options = {"account_sid": SID, "auth_token": TOKEN, "base_url": url}
    options.update(client)
    ops = [{"as": op[0], "do": op[1]} if isinstance(op, tuple) else {"do": op} for op in ops]
    return result(runtime, "rest_ops.py", {"client": options, "ops": ops,
                                           "imports": list(imports)})


def stored(server, kind):
    return [r.data for r in server.sandbox.store.all(kind, newest_first=False)]


def today(server):
    return datetime.fromtimestamp(server.sandbox.scheduler.now(), timezone.utc).strftime("%Y-%m-%d")


# --- messages ----------------------------------------------------------------------

def test_send_sms_mms_and_messaging_service(runtime, sandbox):
    out = run(runtime, sandbox.url, [
        "c.messages.create(to=%r, from_=%r, body='Grüße 😀', status_callback='https://cb.test/s')"
        % (TO, OURS),
        "c.messages.create(to=%r, from_=%r, media_url=['https://x.test/a.jpg', "
        "'https://x.test/b.png'])" % (TO, OURS),
        "c.messages.create(to=%r, body='via service', messaging_service_sid='MG' + '0' * 31 + '1')"
        % TO,
    ])
    sms, mms, service = out
    assert sms["statuscode"] == 201 and sms["sid"].startswith("SM") and sms["status"] == "queued"
    assert sms["data"]["body"] == "Grüße 😀"
    assert mms["data"]["num_media"] == "2" and mms["data"]["body"] == ""
    assert service["status"] == "accepted"
    assert service["data"]["messaging_service_sid"] == "MG" + "0" * 31 + "1"  # the sandbox's
    private = [r.private for r in sandbox.sandbox.store.all("message", newest_first=False)]
    assert private[0]["status_callback"] == "https://cb.test/s"
    media = sandbox.sandbox.store.all("media", parent_sid=mms["sid"], newest_first=False)
    assert [m.private["url"] for m in media] == ["https://x.test/a.jpg", "https://x.test/b.png"]


def test_message_checks_happen_before_the_network(runtime, sandbox):
    out = run(runtime, sandbox.url, [
        "c.messages.create(to='5551234567', from_=%r, body='x')" % OURS,
        "c.messages.create(to=%r, body='x')" % TO,
        "c.messages.create(to=%r, from_=%r, body='')" % (TO, OURS),
        "c.messages.create(to=%r, from_='whatsapp:%s', body='x')" % (TO, OURS),
        "c.messages.fetch('SM123/../../Calls')",
    ])
    assert [o["raised"] for o in out] == ["ValueError"] * 5
    assert "E.164" in out[0]["message"] and "from_=" in out[1]["message"]
    assert "empty" in out[2]["message"] and "whatsapp" in out[3]["message"]
    assert "32 hex digits" in out[4]["message"]
    assert stored(sandbox, "message") == []


def test_get_list_filters_limit_and_paging(runtime, sandbox):
    creates = ["c.messages.create(to=%r, from_=%r, body='m%d')['statuscode']"
               % (TO if i % 2 == 0 else "+15557654321", OURS, i) for i in range(5)]
    assert run(runtime, sandbox.url, creates) == [201] * 5
    day = today(sandbox)
    out = run(runtime, sandbox.url, [
        ("first", "[m for m in c.messages.list(limit=1)][0]"),
        "c.messages.fetch(first['sid'])['data']['body']",
        "[m['body'] for m in c.messages.list()]",
        "[m['body'] for m in c.messages.list(to=%r)]" % TO,
        "[m['body'] for m in c.messages.list(from_=%r, date_sent=%r, page_size=2)]" % (OURS, day),
        "[m['body'] for m in c.messages.list(date_sent='2001-01-01')]",
        "[m['body'] for m in c.messages.list(limit=3, page_size=2)]",
        "[m['body'] for m in c.messages.list(date_sent_after=%r, limit=2)]" % day,
    ])
    assert out[1] == "m4" and out[0]["body"] == "m4"
    assert out[2] == ["m4", "m3", "m2", "m1", "m0"]
    assert out[3] == ["m4", "m2", "m0"]
    assert out[4] == ["m4", "m3", "m2", "m1", "m0"]
    assert out[5] == []
    assert out[6] == ["m4", "m3", "m2"]
    assert out[7] == ["m4", "m3"]


def test_redact_and_delete_a_delivered_message(runtime, sandbox):
    [m] = run(runtime, sandbox.url, [
        "c.messages.create(to=%r, from_=%r, body='secret code 1234')" % (TO, OURS)])
    early = run(runtime, sandbox.url, ["c.messages.redact(%r)" % m["sid"]])[0]
    assert early["statuscode"] == 400 and early["code"] == 20009  # not delivered yet
    sandbox.advance_until("message", m["sid"], ("delivered",))
    out = run(runtime, sandbox.url, [
        "c.messages.redact(%r)['data']['body']" % m["sid"],
        "c.messages.fetch(%r)['data']['body']" % m["sid"],
        "c.messages.delete(%r)['statuscode']" % m["sid"],
        "c.messages.fetch(%r)['code']" % m["sid"],
    ])
    assert out == ["", "", 204, 20404]


def test_media_list_get_delete(runtime, sandbox):
    out = run(runtime, sandbox.url, [
        ("m", "c.messages.create(to=%r, from_=%r, media_url='https://x.test/cat.gif')"
         % (TO, OURS)),
        ("media", "[x for x in c.messages.media(m['sid']).list()]"),
        "c.messages.media(m['sid']).fetch(media[0]['sid'])['data']['content_type']",
        "c.messages.media(m['sid']).delete(media[0]['sid'])['statuscode']",
        "list(c.messages.media(m['sid']).list())",
    ])
    assert len(out[1]) == 1 and out[1][0]["parent_sid"] == out[0]["sid"]
    assert out[2:] == ["image/gif", 204, []]


def test_whatsapp_adds_the_prefix(runtime, sandbox):
    out = run(runtime, sandbox.url, [
        "c.messages.whatsapp(%r, 'Hello via WhatsApp!', from_=%r)" % (TO, OURS),
        "c.messages.whatsapp('whatsapp:' + %r, '', from_=%r, media_url='https://x.test/a.png')"
        % (TO, OURS),
    ])
    assert out[0]["data"]["to"] == "whatsapp:" + TO
    assert out[0]["data"]["from"] == "whatsapp:" + OURS
    assert out[1]["data"]["to"] == "whatsapp:" + TO and out[1]["data"]["num_media"] == "1"


# --- calls and recordings ----------------------------------------------------------

def test_calls_create_get_list_cancel_delete(runtime, sandbox, server):
    twiml = "<Response><Say>Greenhouse hot</Say><Record/></Response>"
    out = run(runtime, sandbox.url, [
        ("a", "c.calls.create(%r, %r, twiml=%r, status_callback=%r, "
         "status_callback_event=['initiated', 'ringing', 'answered', 'completed'])"
         % (TO, OURS, twiml, server.url() + "/call")),
        ("b", "c.calls.create(%r, %r, url='https://app.test/voice')" % (TO, OTHER)),
        "c.calls.fetch(a['sid'])['status']",
        "c.calls.cancel(b['sid'])['status']",
        "[x['sid'] for x in c.calls.list(status='canceled')]",
        "[x['sid'] for x in c.calls.list(status='queued')]",
        "c.calls.create(%r, %r)" % (TO, OURS),
        "c.calls.create(%r, %r, url='https://a.test/x', twiml='<Response/>')" % (TO, OURS),
        "[x['sid'] for x in c.calls.list(from_=%r, to=%r, limit=1, page_size=1)]" % (OTHER, TO),
        "[x['sid'] for x in c.calls.list(limit=1)]",
    ])
    a, b = out[0], out[1]
    assert a["statuscode"] == 201 and a["sid"].startswith("CA") and out[2] == "queued"
    assert out[3] == "canceled"
    assert out[4] == [b["sid"]] and out[5] == [a["sid"]]
    assert out[6]["raised"] == out[7]["raised"] == "ValueError"
    assert "exactly one of url=" in out[6]["message"]
    assert out[8] == [b["sid"]] and out[9] == [b["sid"]]  # newest first
    call = sandbox.sandbox.store.get("call", a["sid"])
    assert call.private["events"] == ["answered", "completed", "initiated", "ringing"]
    assert call.private["twiml"] == twiml
    assert sandbox.sandbox.store.get("call", b["sid"]).private["url"] == "https://app.test/voice"
    sandbox.advance_until("call", a["sid"], ("completed",))
    [recording] = sandbox.sandbox.store.all("recording")
    day = datetime.fromtimestamp(recording.created, timezone.utc).strftime("%Y-%m-%d")
    out = run(runtime, sandbox.url, [
        ("rec", "[r for r in c.calls.recordings(%r).list()]" % a["sid"]),
        "[r['sid'] for r in c.recordings.list(call_sid=%r)]" % a["sid"],
        "[r['sid'] for r in c.recordings.list(date_created=%r, limit=5)]" % day,
        "[r['sid'] for r in c.recordings.list(date_created='2001-01-01')]",
        "c.recordings.fetch(rec[0]['sid'])['data']['call_sid']",
        "c.recordings.delete(rec[0]['sid'])['statuscode']",
        "list(c.recordings.list())",
        "c.calls.delete(%r)['statuscode']" % a["sid"],
        "c.calls.fetch(%r)['code']" % a["sid"],
    ])
    rec = out[0][0]["sid"]
    assert rec.startswith("RE") and out[1] == [rec] and out[2] == [rec] and out[3] == []
    assert out[4:] == [a["sid"], 204, [], 204, 20404]


# --- numbers -----------------------------------------------------------------------

def test_incoming_numbers_list_get_buy_update_release(runtime, sandbox):
    out = run(runtime, sandbox.url, [
        ("owned", "[n for n in c.incoming_phone_numbers.list()]"),
        "[n['phone_number'] for n in c.incoming_phone_numbers.list(limit=1)]",
        "c.incoming_phone_numbers.fetch(owned[0]['sid'])['data']['phone_number']",
        ("offer", "[n for n in c.available_phone_numbers('US', 'Local').list(area_code='415', "
         "limit=2)]"),
        "[n['iso_country'] for n in c.available_phone_numbers('US', 'TollFree').list(limit=1)]",
        ("n", "next(c.available_phone_numbers('US').list(area_code='415', limit=1))"),
        ("bought", "c.incoming_phone_numbers.create(phone_number=n['phone_number'], "
         "sms_url='https://app.test/sms')"),
        "c.incoming_phone_numbers.update(bought['sid'], friendly_name='greenhouse')['data']",
        "c.incoming_phone_numbers.delete(bought['sid'])['statuscode']",
        "c.incoming_phone_numbers.fetch(bought['sid'])['code']",
        "c.available_phone_numbers('US/../..', 'Local')",
    ])
    assert sorted(n["phone_number"] for n in out[0]) == sorted([OURS, OTHER])
    assert len(out[1]) == 1
    assert out[2] == out[0][0]["phone_number"]
    assert [n["phone_number"][:5] for n in out[3]] == ["+1415", "+1415"]
    assert out[4] == ["US"]
    assert out[5]["phone_number"] == out[3][0]["phone_number"]
    bought = out[6]
    assert bought["statuscode"] == 201 and bought["data"]["phone_number"] == out[3][0][
        "phone_number"] and bought["data"]["sms_url"] == "https://app.test/sms"
    assert out[7]["friendly_name"] == "greenhouse"
    assert out[8:10] == [204, 20404]
    assert out[10]["raised"] == "ValueError" and "ISO code" in out[10]["message"]


# --- lookup ------------------------------------------------------------------------

def test_lookup_v2_with_fields(runtime, sandbox):
    out = run(runtime, sandbox.url, [
        "c.lookup(%r)['data']" % TO,
        "c.lookup(%r, fields='line_type_intelligence,caller_name')['data']" % TO,
        "c.lookup(%r, fields=['caller_name'])['data']['caller_name']" % OURS,
        "c.lookup('(415) 555-0100', country_code='US')['statuscode']",
        "c.lookup('5551234567')",
        "c.lookup(%r, fields='nonsense')['code']" % TO,
    ])
    assert out[0]["valid"] is True and out[0]["country_code"] == "US"
    assert out[0]["caller_name"] is None and out[0]["phone_number"] == TO
    assert out[1]["line_type_intelligence"]["type"] == "mobile"
    assert out[1]["caller_name"]["caller_name"] == "SANDBOX PHONE"
    assert out[2]["caller_type"] == "BUSINESS"
    assert out[3] == 200
    assert out[4]["raised"] == "ValueError" and "E.164" in out[4]["message"]
    assert out[5] == 60600


def test_lookup_goes_to_the_lookups_host_when_mapped(runtime, sandbox, server):
    out = run(runtime, sandbox.url, ["c.lookup(%r, fields='caller_name')['statuscode']" % TO,
                                     "c.messages.fetch('SM' + '0' * 32)['code']"],
              hosts={"lookups": server.url()})
    assert out == [201, 20404]
    [req] = server.requests
    assert req["method"] == "GET"
    assert req["path"] == "/v2/PhoneNumbers/%2B15551234567?Fields=caller_name"


# --- usage -------------------------------------------------------------------------

def test_usage_records_and_triggers(runtime, sandbox):
    day = today(sandbox)
    out = run(runtime, sandbox.url, [
        "c.messages.create(to=%r, from_=%r, body='x')['statuscode']" % (TO, OURS),
        "[(r['category'], r['count']) for r in c.usage_records.list(category='sms', "
        "start_date=%r, end_date=%r)]" % (day, day),
        "len(list(c.usage_records.list(limit=3)))",
        "[r['category'] for r in c.resource('Usage/Records/Today', 'usage_records')"
        ".list(category='calls')]",
        ("t", "c.usage_triggers.create(usage_category='sms', trigger_value='50.00', "
         "callback_url='https://app.test/usage', recurring='monthly')"),
        "[x['sid'] for x in c.usage_triggers.list()]",
        "c.usage_triggers.fetch(t['sid'])['data']['trigger_value']",
        "c.usage_triggers.update(t['sid'], friendly_name='sms budget')['data']['friendly_name']",
        "c.usage_triggers.delete(t['sid'])['statuscode']",
        "list(c.usage_triggers.list())",
    ])
    assert out[0] == 201
    assert out[1] == [["sms", "1"]]
    assert out[2] == 3 and out[3] == ["calls"]
    t = out[4]
    assert t["statuscode"] == 201 and t["sid"].startswith("UT")
    assert t["data"]["recurring"] == "monthly" and t["data"]["usage_category"] == "sms"
    assert t["data"]["callback_url"] == "https://app.test/usage"
    assert out[5] == [t["sid"]] and out[6] == "50.00"
    assert out[7:] == ["sms budget", 204, []]


# --- accounts, keys, tokens --------------------------------------------------------

def test_account_and_subaccounts(runtime, sandbox):
    out = run(runtime, sandbox.url, [
        "c.accounts.fetch()['data']['friendly_name']",
        ("sub", "c.accounts.create(friendly_name='greenhouse 2')"),
        "c.accounts.fetch(sub['sid'])['data']['friendly_name']",
        "sorted(a['sid'] for a in c.accounts.list())",
        "c.accounts(sub['sid']).incoming_phone_numbers.create(phone_number='+15005550100')"
        "['data']['account_sid']",
        "c.accounts(sub['sid']).messages.create(to=%r, from_='+15005550100', body='from sub')"
        "['data']['account_sid']" % TO,
        "[m['body'] for m in c.accounts(sub['sid']).messages.list()]",
        ("call", "c.accounts(sub['sid']).calls.create(%r, '+15005550100', twiml='<Response/>')"
         % TO),
        "c.accounts(sub['sid']).calls.fetch(call['sid'])['data']['account_sid']",
        "c.calls.fetch(call['sid'])['code']",
        "[m['body'] for m in c.messages.list()]",
        "c.accounts.update(sub['sid'], status='suspended')['data']['status']",
        "c.accounts('AC123')",
    ])
    assert out[0] == "Sandbox account"
    sub = out[1]["sid"]
    assert out[1]["statuscode"] == 201 and out[2] == "greenhouse 2"
    assert out[3] == sorted([SID, sub])
    assert out[4] == out[5] == sub
    assert out[6] == ["from sub"]
    assert out[7]["statuscode"] == 201 and out[8] == sub and out[9] == 20404
    assert out[10] == []
    assert out[11] == "suspended"
    assert out[12]["raised"] == "ValueError"


def test_api_keys_and_authenticating_with_one(runtime, sandbox):
    out = run(runtime, sandbox.url, [
        ("k", "c.keys.create(friendly_name='device 7')"),
        "sorted(x['sid'] for x in c.keys.list())",
        "c.keys.fetch(k['sid'])['data']['friendly_name']",
        "c.keys.update(k['sid'], friendly_name='device 8')['data']['friendly_name']",
        "rest.Client(%r, k['data']['secret'], api_key=k['sid'], base_url=%r)"
        ".accounts.fetch()['statuscode']" % (SID, sandbox.url),
        "c.keys.delete(k['sid'])['statuscode']",
        "rest.Client(%r, k['data']['secret'], api_key=k['sid'], base_url=%r)"
        ".accounts.fetch()['code']" % (SID, sandbox.url),
    ])
    key = out[0]["sid"]
    assert out[0]["statuscode"] == 201 and key.startswith("SK") and out[0]["data"]["secret"]
    assert out[1] == sorted([DEFAULT_API_KEY_SID, key])
    assert out[2:] == ["device 7", "device 8", 200, 204, 20003]


def test_nts_token(runtime, sandbox):
    [t] = run(runtime, sandbox.url, ["c.tokens.create(ttl=3600)"])
    assert t["statuscode"] == 201 and t["data"]["ttl"] == "3600"
    assert t["data"]["username"] and t["data"]["password"]
    assert t["data"]["ice_servers"][0]["urls"].startswith("stun:")


# --- credentials -------------------------------------------------------------------

def test_named_credentials_side_by_side(runtime, sandbox):
    out = run(runtime, sandbox.url, [
        ("s", "c.accounts.create(friendly_name='work')['data']"),
        "creds.add('work', s['sid'], s['auth_token'])",
        "creds.add('personal', %r, %r, api_key=%r)" % (SID, DEFAULT_API_KEY_SECRET,
                                                       DEFAULT_API_KEY_SID),
        "creds.names()",
        "rest.Client(credentials='work', base_url=%r).accounts.fetch()['data']['friendly_name']"
        % sandbox.url,
        "rest.Client(credentials='personal', base_url=%r).accounts.fetch()['data']"
        "['friendly_name']" % sandbox.url,
        "rest.Client(credentials='nobody', base_url=%r)" % sandbox.url,
        "creds.load({'accounts': {'lab': {'account_sid': %r, 'auth_token': %r}}})"
        % (SID, TOKEN),
        "rest.Client(credentials='lab', base_url=%r).accounts.fetch()['statuscode']"
        % sandbox.url,
    ])
    assert out[3] == ["personal", "work"]
    assert out[4] == "work" and out[5] == "Sandbox account"
    assert out[6]["raised"] == "ValueError"
    assert "creds.add('nobody'" in out[6]["message"] and "personal, work" in out[6]["message"]
    assert out[7] == ["lab", "personal", "work"] and out[8] == 200


def test_default_credentials_from_the_environment(runtime, sandbox, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    ops = [{"do": "rest.Client(base_url=%r).accounts.fetch()['statuscode']" % sandbox.url}]
    assert result(runtime, "rest_ops.py", {"ops": ops}) == [200]
    monkeypatch.setenv("TWILIO_API_KEY", DEFAULT_API_KEY_SID)
    monkeypatch.setenv("TWILIO_API_SECRET", DEFAULT_API_KEY_SECRET)
    ops.append({"do": "creds.get()[2]"})
    assert result(runtime, "rest_ops.py", {"ops": ops}) == [200, DEFAULT_API_KEY_SID]
    monkeypatch.delenv("TWILIO_ACCOUNT_SID")
    [out] = result(runtime, "rest_ops.py", {"ops": ops[:1]})
    assert out["raised"] == "ValueError" and "TWILIO_ACCOUNT_SID" in out["message"]


# --- errors and retries ------------------------------------------------------------

def test_errors_as_results_or_as_twilio_error(runtime, sandbox):
    missing = "c.messages.fetch('SM' + '0' * 32)"
    [r] = run(runtime, sandbox.url, [missing])
    assert (r["statuscode"], r["code"], r["data"], r["sid"]) == (404, 20404, None, None)
    assert "was not found" in r["message"] and r["more_info"].endswith("/20404")
    out = run(runtime, sandbox.url, [
        missing,
        "c.messages.create(to=%r, from_='+15559999999', body='x')" % TO,
        "list(c.messages.list(PageToken='x', Page='-1'))",
    ], raise_errors=True)
    assert out[0]["raised"] == "TwilioError"
    assert (out[0]["status"], out[0]["code"]) == (404, 20404)
    assert out[0]["more_info"] == "https://www.twilio.com/docs/errors/20404"
    assert out[0]["text"].startswith("HTTP 404, Twilio error 20404: ")
    assert (out[1]["status"], out[1]["code"]) == (400, 21606)
    assert (out[2]["status"], out[2]["code"]) == (400, 20001)
    [bad] = run(runtime, sandbox.url, ["c.accounts.fetch()"], auth_token="f" * 32,
                raise_errors=True)
    assert (bad["status"], bad["code"]) == (401, 20003)


def test_a_failed_page_ends_the_list_and_says_so(runtime, sandbox):
    out = run(runtime, sandbox.url, [
        ("it", "c.messages.list(PageToken='x', Page='-1')"),
        "list(it)",
        "it.error['statuscode'], it.error['code']",
    ])
    assert out[1] == [] and out[2] == [400, 20001]


def test_429_is_retried_after_retry_after(runtime):
    with SandboxServer(step_seconds=3600, rate_limit=1) as limited:
        out = run(runtime, limited.url, [
            "[c.accounts.fetch()['statuscode'] for i in range(3)]",
        ], deadline=10)
        assert out[0] == [200, 200, 200]
        [r] = run(runtime, limited.url, [
            "[c.accounts.fetch()['statuscode'] for i in range(3)]"], deadline=0)
        assert 429 in r


def test_post_that_may_have_reached_twilio_is_not_repeated(runtime, server):
    server.script = ["hang", "hang"]
    [r] = run(runtime, server.url(), [
        "c.messages.create(to=%r, from_=%r, body='once')" % (TO, OURS)], timeout=1, deadline=60)
    assert r["statuscode"] == 28
    assert "may have reached Twilio" in r["message"]
    assert len(server.requests) == 1


def test_get_that_timed_out_is_tried_again(runtime, server):
    server.script = ["hang"]
    [r] = run(runtime, server.url(), ["c.messages.fetch('SM' + 'a' * 32)['statuscode']"],
              timeout=1, deadline=60)
    assert r == 201 and len(server.requests) == 2


def test_connection_refused_post_is_retried_until_the_deadline(runtime):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    [r] = run(runtime, "http://127.0.0.1:%d" % port, [
        "c.messages.create(to=%r, from_=%r, body='x')" % (TO, OURS)], deadline=2)
    assert r["statuscode"] == 7 and "may have reached" not in r["message"]


# --- what only canned answers show: the raw request and the bytes on the wire ----------
# (the other resources the generic layer reaches are in tests/test_rest_resources.py)

def test_raw_request_like_twilio_node(runtime, server):
    out = run(runtime, server.url(), [
        "c.request('GET', '/2010-04-01/Accounts.json')['statuscode']",
        "c.request('POST', '/2010-04-01/Accounts/%s/SMS/Messages.json', "
        "{'To': %r, 'From': %r, 'Body': 'legacy'})['sid']" % (SID, TO, OURS),
    ])
    assert out == [201, "SM" + "a" * 32]
    assert [(q["method"], q["path"]) for q in server.requests] == [
        ("GET", "/2010-04-01/Accounts.json"),
        ("POST", "/2010-04-01/Accounts/%s/SMS/Messages.json" % SID)]
    assert server.requests[1]["form"] == [("Body", "legacy"), ("From", OURS), ("To", TO)]


def test_every_message_and_call_parameter_reaches_the_wire(runtime, server):
    run(runtime, server.url(), [
        "c.messages.create(to=%r, body='b', from_=%r, max_price='0.05', media_url="
        "'https://x.test/a.jpg', smart_encoded=False, application_sid='AP' + '2' * 32, "
        "status_callback='https://cb.test/m', validity_period=600, provide_feedback=True, "
        "messaging_service_sid='MG' + '3' * 32)" % (TO, OURS),
        "c.calls.create(%r, %r, url='https://app.test/v', method='GET', record=True, timeout=20, "
        "if_machine='Continue', send_digits='1234#', fallback_url='https://app.test/f', "
        "fallback_method='GET', status_callback='https://cb.test/c', status_callback_event="
        "'initiated ringing answered completed', status_callback_method='GET')" % (TO, OURS),
        "c.calls.create(%r, %r, application_sid='AP' + '2' * 32)" % (TO, OURS),
        "[x for x in c.calls.list(from_=%r, to=%r, status='busy', start_time='2026-11-23', "
        "parent_call_sid='CA' + '4' * 32, page_size=50)]" % (OURS, TO),
        "[x for x in c.messages.media('SM' + 'a' * 32).list(date_created='2026-11-23')]",
        ("r", "twiml.Response()"),
        "r.say('Greenhouse hot') and None",
        "c.calls.create(%r, %r, twiml=r)" % (TO, OURS),
    ], imports=["twiml"])
    msg, call, app, calls, media, built = server.requests
    assert dict(msg["form"]) == {
        "To": TO, "Body": "b", "From": OURS, "MaxPrice": "0.05", "MediaUrl": "https://x.test/a.jpg",
        "SmartEncoded": "false", "ApplicationSid": "AP" + "2" * 32,
        "StatusCallback": "https://cb.test/m", "ValidityPeriod": "600", "ProvideFeedback": "true",
        "MessagingServiceSid": "MG" + "3" * 32}
    names = [name for name, _ in call["form"]]
    assert names == sorted(names)  # sorted by name: the same bytes on both runtimes
    assert call["form"] == [
        ("FallbackMethod", "GET"), ("FallbackUrl", "https://app.test/f"), ("From", OURS),
        ("IfMachine", "Continue"), ("Method", "GET"), ("Record", "true"),
        ("SendDigits", "1234#"), ("StatusCallback", "https://cb.test/c"),
        ("StatusCallbackEvent", "initiated"), ("StatusCallbackEvent", "ringing"),
        ("StatusCallbackEvent", "answered"), ("StatusCallbackEvent", "completed"),
        ("StatusCallbackMethod", "GET"), ("Timeout", "20"), ("To", TO),
        ("Url", "https://app.test/v")]
    assert dict(app["form"])["ApplicationSid"] == "AP" + "2" * 32
    query = parse_qsl(urlsplit(calls["path"]).query)
    assert query == [("From", OURS), ("PageSize", "50"), ("ParentCallSid", "CA" + "4" * 32),
                     ("StartTime", "2026-11-23"), ("Status", "busy"), ("To", TO)]
    assert media["path"] == ("/2010-04-01/Accounts/%s/Messages/SM%s/Media.json"
                             "?DateCreated=2026-11-23&PageSize=10" % (SID, "a" * 32))
    assert dict(built["form"])["Twiml"] == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Greenhouse hot</Say></Response>')


def test_over_verified_tls(runtime, ca, tmp_path):
    import ssl

    import trustme

    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    der = tmp_path / "ca.der"
    der.write_bytes(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
    with SandboxServer(tls_cert=str(tmp_path / "cert.pem"), tls_key=str(tmp_path / "key.pem"),
                       step_seconds=3600) as tls:
        assert tls.url.startswith("https://")
        out = run(runtime, tls.url, [
            "c.messages.create(to=%r, from_=%r, body='over TLS')['statuscode']" % (TO, OURS),
            "[m['body'] for m in c.messages.list()]",
            "c.lookup(%r)['data']['valid']" % TO,
        ], ca=str(der))
        assert out == [201, ["over TLS"], True]
        other = tmp_path / "other.der"
        other.write_bytes(ssl.PEM_cert_to_DER_cert(trustme.CA().cert_pem.bytes().decode()))
        [refused] = run(runtime, tls.url, ["c.accounts.fetch()"], ca=str(other))
        assert refused["statuscode"] == 60 and "not trusted" in refused["message"]
