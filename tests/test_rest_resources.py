"""utwilio.rest on both runtimes against the local Twilio sandbox, for the resources the
generic layer reaches (`c.resource(path, key, prefixes)`, `c.request(…, host=)`):
IncomingPhoneNumbers/Local and /TollFree, OutgoingCallerIds, SMS ShortCodes,
Applications, ConnectApps, Conferences, Queues, Transcriptions, Notifications and
Messaging Services. These replaced the canned answers of tests/test_rest.py."""

import time

import pytest
from devicevm import result
from utwilio_sandbox.server import SandboxServer
from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

SID, TOKEN = DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
OURS, TO = "+15005550006", "+15551234567"


@pytest.fixture(scope="module")
def sandbox_server():
    with SandboxServer(step_seconds=3600) as server:  # tests move the clock (advance_until)
        yield server


@pytest.fixture
def sandbox(sandbox_server):
    sandbox_server.sandbox.reset()
    return sandbox_server


def run(runtime, url, ops):
    """The ops (expressions, or (name, expression) to keep the value) on the device."""
    client = {"account_sid": SID, "auth_token": TOKEN, "base_url": url}
    ops = [{"as": op[0], "do": op[1]} if isinstance(op, tuple) else {"do": op} for op in ops]
    return result(runtime, "rest_ops.py", {"client": client, "ops": ops})


def r(path, key, prefix):
    return "c.resource(%r, %r, (%r,))" % (path, key, prefix)


def test_incoming_numbers_local_and_toll_free(runtime, sandbox):
    local, free = r("IncomingPhoneNumbers/Local", "incoming_phone_numbers", "PN"), r(
        "IncomingPhoneNumbers/TollFree", "incoming_phone_numbers", "PN")
    out = run(runtime, sandbox.url, [
        ("n", "next(c.available_phone_numbers('US', 'TollFree').list(limit=1))"),
        ("b", "%s.create(phone_number=n['phone_number'])" % free),
        "[x['sid'] for x in %s.list()]" % free,
        "sorted(x['phone_number'] for x in %s.list())" % local,
        "%s.create(phone_number='+15005550199')['data']['type']" % local,
        "%s.create(phone_number='+15005550198')['code']" % free,
    ])
    assert out[0]["phone_number"][:5] == "+1800"
    assert out[1]["statuscode"] == 201 and out[1]["data"]["type"] == "toll-free"
    assert out[2] == [out[1]["sid"]]
    assert out[3] == sorted([OURS, "+15017122661"])
    assert out[4] == "local" and out[5] == 21422


def test_outgoing_caller_ids(runtime, sandbox):
    ids = r("OutgoingCallerIds", "outgoing_caller_ids", "PN")
    out = run(runtime, sandbox.url, [
        "%s.create(phone_number='+15558675310', friendly_name='cell')['statuscode']" % ids,
        ("x", "next(%s.list(phone_number='+15558675310'))" % ids),
        "%s.fetch(x['sid'])['data']['friendly_name']" % ids,
        "%s.update(x['sid'], friendly_name='desk')['data']['friendly_name']" % ids,
        "%s.delete(x['sid'])['statuscode']" % ids,
        "list(%s.list())" % ids,
    ])
    assert out[0] == 201 and out[1]["sid"].startswith("PN")
    assert out[2:] == ["cell", "desk", 204, []]


def test_short_codes_and_connect_apps(runtime, sandbox):
    codes, apps = r("SMS/ShortCodes", "short_codes", "SC"), r("ConnectApps", "connect_apps", "CN")
    out = run(runtime, sandbox.url, [
        ("s", "next(%s.list())" % codes),
        "%s.fetch(s['sid'])['data']['short_code']" % codes,
        "%s.update(s['sid'], sms_url='https://app.test/sc')['data']['sms_url']" % codes,
        "%s.create(friendly_name='x')['code']" % codes,
        ("a", "next(%s.list())" % apps),
        "%s.update(a['sid'], friendly_name='lab')['data']['friendly_name']" % apps,
        "%s.fetch(a['sid'])['data']['friendly_name']" % apps,
        "%s.delete(a['sid'])['statuscode']" % apps,
        "list(%s.list())" % apps,
    ])
    assert out[0]["sid"].startswith("SC")
    assert out[1:4] == ["55555", "https://app.test/sc", 20004]  # no create: 405
    assert out[4]["sid"].startswith("CN")
    assert out[5:] == ["lab", "lab", 204, []]


def test_applications_and_queues_crud(runtime, sandbox):
    apps, queues = r("Applications", "applications", "AP"), r("Queues", "queues", "QU")
    out = run(runtime, sandbox.url, [
        ("a", "%s.create(friendly_name='lab', status_callback='https://cb.test/x')" % apps),
        "[x['sid'] for x in %s.list(friendly_name='lab')]" % apps,
        "%s.update(a['sid'], voice_url='https://app.test/v')['data']['voice_url']" % apps,
        "%s.fetch(a['sid'])['data']['status_callback']" % apps,
        "%s.delete(a['sid'])['statuscode']" % apps,
        "%s.fetch(a['sid'])['code']" % apps,
        ("q", "%s.create(friendly_name='support', max_size=10)" % queues),
        "%s.update(q['sid'], max_size=20)['data']['max_size']" % queues,
        "[x['friendly_name'] for x in %s.list()]" % queues,
        "%s.delete(q['sid'])['statuscode']" % queues,
    ])
    assert out[0]["statuscode"] == 201 and out[0]["sid"].startswith("AP")
    assert out[1] == [out[0]["sid"]]
    assert out[2:6] == ["https://app.test/v", "https://cb.test/x", 204, 20404]
    assert out[6]["statuscode"] == 201 and out[6]["data"]["max_size"] == 10
    assert out[7:] == [20, ["support"], 204]


def test_conferences_transcriptions_and_notifications(runtime, sandbox):
    twiml = ("<Response><Dial><Conference>standup</Conference></Dial>"
             "<Record transcribe=\"true\"/></Response>")
    [call] = run(runtime, sandbox.url, ["c.calls.create(%r, %r, twiml=%r)" % (TO, OURS, twiml)])
    sandbox.advance_until("call", call["sid"], ("in-progress",))
    conferences = r("Conferences", "conferences", "CF")
    out = run(runtime, sandbox.url, [
        ("f", "next(%s.list(status='in-progress'))" % conferences),
        "%s.fetch(f['sid'])['data']['friendly_name']" % conferences,
    ])
    assert out[0]["sid"].startswith("CF") and out[1] == "standup"
    sandbox.advance_until("call", call["sid"], ("completed",))
    transcriptions = r("Transcriptions", "transcriptions", "TR")
    notifications = r("Notifications", "notifications", "NO")
    out = run(runtime, sandbox.url, [
        "%s.fetch(%r)['data']['status']" % (conferences, out[0]["sid"]),
        ("t", "next(%s.list())" % transcriptions),
        "%s.fetch(t['sid'])['data']['recording_sid']" % transcriptions,
        "%s.delete(t['sid'])['statuscode']" % transcriptions,
        "list(%s.list())" % transcriptions,
        "list(%s.list())" % notifications,
    ])
    assert out[0] == "completed"  # the last caller left
    assert out[1]["sid"].startswith("TR") and out[2].startswith("RE")
    assert out[3:] == [204, [], []]
    [bad] = run(runtime, sandbox.url, [
        "c.calls.create(%r, %r, url='http://127.0.0.1:9/voice')" % (TO, OURS)])
    sandbox.advance_until("call", bad["sid"], ("ringing",))
    sandbox.sandbox.scheduler.advance(3600)
    deadline = time.monotonic() + 15
    while not sandbox.sandbox.store.all("alert") and time.monotonic() < deadline:
        time.sleep(0.01)
    out = run(runtime, sandbox.url, [
        ("n", "next(%s.list())" % notifications),
        "%s.fetch(n['sid'])['data']['error_code']" % notifications,
        "%s.delete(n['sid'])['code']" % notifications,
    ])
    assert out[0]["sid"].startswith("NO") and out[0]["request_url"] == "http://127.0.0.1:9/voice"
    assert out[1:] == ["11205", 20004]  # Twilio no longer deletes notifications


def test_messaging_services_on_the_messaging_host(runtime, sandbox):
    out = run(runtime, sandbox.url, [
        ("s", "c.request('POST', '/v1/Services', {'FriendlyName': 'alerts'}, 'messaging')"),
        "c.request('GET', '/v1/Services/' + s['sid'], None, 'messaging')['data']['friendly_name']",
        "[x['sid'] for x in c.request('GET', '/v1/Services', None, 'messaging')['data']"
        "['services']]",
        ("n", "next(c.available_phone_numbers('US').list(limit=1))"),
        ("pn", "c.incoming_phone_numbers.create(phone_number=n['phone_number'])"),
        "c.request('POST', '/v1/Services/' + s['sid'] + '/PhoneNumbers', "
        "{'PhoneNumberSid': pn['sid']}, 'messaging')['statuscode']",
        "c.messages.create(to=%r, body='via service', messaging_service_sid=s['sid'])['status']"
        % TO,
        "c.request('POST', '/v1/Services', {}, 'messaging')['code']",
        "c.request('DELETE', '/v1/Services/' + s['sid'], None, 'messaging')['statuscode']",
    ])
    assert out[0]["statuscode"] == 201 and out[0]["sid"].startswith("MG")
    assert out[1] == "alerts" and out[2] == [out[0]["sid"], "MG" + "0" * 31 + "1"]  # + default
    assert out[5:] == [201, "accepted", 20001, 204]


def test_raw_request_like_twilio_node(runtime, sandbox):
    out = run(runtime, sandbox.url, [
        "c.request('GET', '/2010-04-01/Accounts.json')['data']['accounts'][0]['sid']",
        "c.request('GET', '/2010-04-01/Accounts/%s/Messages.json', {'PageSize': 1})"
        "['data']['page_size']" % SID,
    ])
    assert out == [SID, 1]


def test_the_legacy_sms_messages_path(runtime, sandbox):
    legacy = "/2010-04-01/Accounts/%s/SMS/Messages" % SID
    out = run(runtime, sandbox.url, [
        ("m", "c.request('POST', %r, {'To': %r, 'From': %r, 'Body': 'legacy'})"
              % (legacy + ".json", TO, OURS)),
        "c.request('GET', %r + '/' + m['sid'] + '.json')['data']" % legacy,
        "[x['sid'] for x in c.request('GET', %r, {'To': %r})['data']['sms_messages']]"
        % (legacy + ".json", TO),
        "c.messages.fetch(m['sid'])['data']['body']",
    ])
    assert out[0]["statuscode"] == 201 and out[0]["sid"].startswith("SM")
    fetched = out[1]
    assert (fetched["sid"], fetched["body"], fetched["from"]) == (out[0]["sid"], "legacy", OURS)
    assert fetched["uri"] == "%s/%s.json" % (legacy, out[0]["sid"])
    assert "subresource_uris" not in fetched and "num_media" not in fetched  # the older shape
    assert out[2] == [out[0]["sid"]]
    assert out[3] == "legacy"  # the same message, seen through Messages
