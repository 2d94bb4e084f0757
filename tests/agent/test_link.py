"""The device link (agent/PROTOCOL.md) through the app, without sockets."""

import pytest
from agenttest import OWNER


@pytest.fixture
def tokens(app_client):
    return {name: app_client.add_device(name) for name in ("greenhouse", "garage")}


def test_a_texted_command_reaches_its_device_in_order_and_an_ack_finishes_it(
    app_client, tokens, clock
):
    for text in ("fan on", "status", "light  off  now"):
        assert app_client.sms(text).status_code == 200
    r = app_client.link(tokens["greenhouse"], "greenhouse", "GET", "/commands?wait=0")
    assert r.status_code == 200
    cmds = r.json()["commands"]
    assert [(c["name"], c["args"], c["text"]) for c in cmds] == [
        ("fan", "on", "fan on"), ("status", "", "status"), ("light", "off  now", "light  off  now")
    ]
    first = cmds[0]
    assert first["id"].startswith("CM") and len(first["id"]) == 34
    assert first["from"] == OWNER
    assert first["created"] == int(clock.now)
    assert first["expires"] == int(clock.now + 3600)
    # Unacknowledged commands come again (at-least-once), in the same order.
    again = app_client.link(tokens["greenhouse"], "greenhouse", "GET", "/commands?wait=0")
    assert [c["id"] for c in again.json()["commands"]] == [c["id"] for c in cmds]
    for cmd in cmds:
        r = app_client.link(tokens["greenhouse"], "greenhouse", "POST",
                            "/commands/%s/ack" % cmd["id"], json={"reply": None})
        assert r.status_code == 200 and r.json() == {"ok": True}
    # A second ack of the same id changes nothing.
    r = app_client.link(tokens["greenhouse"], "greenhouse", "POST",
                        "/commands/%s/ack" % first["id"], json={"reply": "late"})
    assert r.status_code == 200
    assert app_client.run(app_client.agent.store.command(first["id"])).reply is None
    r = app_client.link(tokens["greenhouse"], "greenhouse", "GET", "/commands?wait=0")
    assert r.json() == {"commands": []}


def test_a_poll_carries_at_most_ten_commands(app_client, tokens):
    for i in range(12):
        app_client.sms("c%d" % i)
    r = app_client.link(tokens["greenhouse"], "greenhouse", "GET", "/commands?wait=0")
    assert [c["name"] for c in r.json()["commands"]] == ["c%d" % i for i in range(10)]


def test_a_device_reaches_only_its_own_queue(app_client, tokens):
    app_client.sms("fan on")
    cmd = app_client.link(tokens["greenhouse"], "greenhouse", "GET",
                          "/commands?wait=0").json()["commands"][0]
    # garage's token on greenhouse's queue: 403, and nothing changes.
    r = app_client.link(tokens["garage"], "greenhouse", "GET", "/commands?wait=0")
    assert r.status_code == 403 and "another device" in r.json()["error"]
    r = app_client.link(tokens["garage"], "greenhouse", "POST",
                        "/commands/%s/ack" % cmd["id"], json={"reply": "x"})
    assert r.status_code == 403
    # garage acking greenhouse's command on its own path: no such command for garage.
    r = app_client.link(tokens["garage"], "garage", "POST",
                        "/commands/%s/ack" % cmd["id"], json={"reply": "x"})
    assert r.status_code == 404
    assert app_client.run(app_client.agent.store.command(cmd["id"])).state == "pending"


@pytest.mark.parametrize("header", [None, "Bearer ", "Basic abc", "Bearer wrong-token"])
def test_a_missing_or_wrong_token_is_401_and_nothing_is_delivered(app_client, tokens, header):
    app_client.sms("fan on")
    headers = {"Authorization": header} if header is not None else {}
    for method, path, body in [
        ("GET", "/commands?wait=0", None),
        ("POST", "/events", {"name": "boot"}),
        ("POST", "/alerts", {"message": "hot"}),
        ("POST", "/commands/CM0/ack", {"reply": None}),
    ]:
        r = app_client.http.request(method, "/link/v1/devices/greenhouse" + path,
                                    headers=headers, json=body)
        assert r.status_code == 401, (method, path)
        assert "error" in r.json()
    cmd = app_client.link(tokens["greenhouse"], "greenhouse", "GET",
                          "/commands?wait=0").json()["commands"][0]
    assert app_client.run(app_client.agent.store.command(cmd["id"])).deliveries == 1
    overview = app_client.run(app_client.agent.overview())
    assert overview["events"] == [] and overview["messages"] == []


def test_an_unknown_device_is_401_even_with_a_valid_token_format(app_client, tokens):
    r = app_client.link(tokens["greenhouse"] + "x", "nosuch", "GET", "/commands?wait=0")
    assert r.status_code == 401
    r = app_client.link(tokens["greenhouse"], "nosuch", "GET", "/commands?wait=0")
    assert r.status_code == 403  # a real token, used on a path that is not its device's


def test_a_rotated_token_replaces_the_old_one(app_client, tokens):
    new = app_client.add_device("greenhouse")
    assert app_client.link(tokens["greenhouse"], "greenhouse", "GET",
                           "/commands?wait=0").status_code == 401
    assert app_client.link(new, "greenhouse", "GET", "/commands?wait=0").status_code == 200


@pytest.mark.parametrize("wait", ["-1", "61", "abc", "1.5", "²", "9" * 50])
def test_a_bad_wait_is_400(app_client, tokens, wait):
    r = app_client.link(tokens["greenhouse"], "greenhouse", "GET", "/commands?wait=" + wait)
    assert r.status_code == 400 and "wait" in r.json()["error"]


@pytest.mark.parametrize("body", [b"", b"not json", b"[1]", b'{"reply": 5}', b"[" * 50000])
def test_a_malformed_ack_is_400_and_changes_nothing(app_client, tokens, body):
    app_client.sms("fan on")
    cmd = app_client.link(tokens["greenhouse"], "greenhouse", "GET",
                          "/commands?wait=0").json()["commands"][0]
    r = app_client.link(tokens["greenhouse"], "greenhouse", "POST",
                        "/commands/%s/ack" % cmd["id"], content=body)
    assert r.status_code == 400
    assert app_client.run(app_client.agent.store.command(cmd["id"])).state == "pending"


def test_acking_an_unknown_or_undelivered_command_is_404(app_client, tokens):
    app_client.sms("fan on")  # stored, but not yet delivered: the device cannot know its id
    cmd = app_client.run(app_client.agent.overview())["commands"][0]
    for command_id in ("CM" + "0" * 32, cmd.id):
        r = app_client.link(tokens["greenhouse"], "greenhouse", "POST",
                            "/commands/%s/ack" % command_id, json={"reply": "x"})
        assert r.status_code == 404


def test_events_are_recorded(app_client, tokens):
    r = app_client.link(tokens["greenhouse"], "greenhouse", "POST", "/events",
                        json={"name": "boot", "data": {"temp": 21.5, "tags": ["a"]}})
    assert r.status_code == 202 and r.json()["id"].startswith("EV")
    events = app_client.run(app_client.agent.overview())["events"]
    assert [(e["device"], e["name"], e["data"]) for e in events] == [
        ("greenhouse", "boot", {"temp": 21.5, "tags": ["a"]})
    ]


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": 3}, {"name": "x" * 65}])
def test_a_bad_event_is_400_and_not_stored(app_client, tokens, body):
    r = app_client.link(tokens["greenhouse"], "greenhouse", "POST", "/events", json=body)
    assert r.status_code == 400
    assert app_client.run(app_client.agent.overview())["events"] == []


def test_expired_commands_are_not_delivered(app_client, tokens, clock):
    app_client.sms("fan on")
    clock.now += 3601
    r = app_client.link(tokens["greenhouse"], "greenhouse", "GET", "/commands?wait=0")
    assert r.json() == {"commands": []}


def test_polls_mark_the_device_online(app_client, tokens, clock):
    devices = {d["id"]: d for d in app_client.run(app_client.agent.overview())["devices"]}
    assert not devices["greenhouse"]["online"] and devices["greenhouse"]["last_seen"] is None
    app_client.link(tokens["greenhouse"], "greenhouse", "GET", "/commands?wait=0")
    devices = {d["id"]: d for d in app_client.run(app_client.agent.overview())["devices"]}
    assert devices["greenhouse"]["online"] and devices["greenhouse"]["last_seen"] == clock.now
    assert not devices["garage"]["online"]
    clock.now += 91
    devices = {d["id"]: d for d in app_client.run(app_client.agent.overview())["devices"]}
    assert not devices["greenhouse"]["online"]


LONE_SURROGATE = '"\\ud83d"'  # half an emoji: valid JSON, no valid text


@pytest.mark.parametrize("path, body", [
    ("/events", '{"name": %s}' % LONE_SURROGATE),
    ("/events", '{"name": "t", "data": {"note": %s}}' % LONE_SURROGATE),
    ("/events", '{"name": "t", "data": [1, {"x": "a\\u0000b"}]}'),
    ("/events", '{"name": "t", "data": 1e400}'),
    ("/alerts", '{"message": %s}' % LONE_SURROGATE),
    ("/alerts", '{"message": "hot", "key": %s}' % LONE_SURROGATE),
])
def test_text_no_store_can_hold_is_400_naming_the_field(app_client, tokens, path, body):
    r = app_client.link(tokens["greenhouse"], "greenhouse", "POST", path, content=body)
    assert r.status_code == 400, r.text
    assert "surrogate" in r.json()["error"] or "NUL" in r.json()["error"] or \
        "finite" in r.json()["error"]
    assert app_client.run(app_client.agent.overview())["events"] == []


def test_a_refused_ack_reply_closes_the_command_instead_of_leaving_it_pending(app_client,
                                                                             tokens):
    app_client.sms("status")
    cmd = app_client.link(tokens["greenhouse"], "greenhouse", "GET",
                          "/commands?wait=0").json()["commands"][0]
    r = app_client.link(tokens["greenhouse"], "greenhouse", "POST",
                        "/commands/%s/ack" % cmd["id"], content='{"reply": "ok \\udc00"}')
    assert r.status_code == 400 and "reply contains a lone UTF-16 surrogate" in r.json()["error"]
    command = app_client.run(app_client.agent.store.command(cmd["id"]))
    assert command.state == "done" and command.reply is None
    r = app_client.link(tokens["greenhouse"], "greenhouse", "GET", "/commands?wait=0")
    assert r.json() == {"commands": []}
