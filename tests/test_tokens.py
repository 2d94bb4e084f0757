"""Access Tokens and Client Capability Tokens: byte for byte the official library's
(twilio 9.13.0, at the same clock) on CPython, verified by PyJWT on both runtimes."""

import time

import jwt as pyjwt
import pytest
from devicevm import result
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import ChatGrant, VideoGrant, VoiceGrant
from twilio.jwt.client import ClientCapabilityToken
from utwilio import tokens

AC = "AC" + "0123456789abcdef" * 2
SK = "SK" + "fedcba9876543210" * 2
SECRET = "api-key-secret-0123456789abcdef0"  # 32 characters, like a real one
AUTH = "0123456789abcdef" * 2
T = 1795435000  # Nov 2026


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: T + 0.75)


def decode(token, key=SECRET, **kw):
    return pyjwt.decode(token, key, algorithms=["HS256"],
                        options={"verify_exp": False, "verify_nbf": False}, **kw)


def test_access_token_is_the_official_one(clock):
    ours = tokens.access_token(
        AC, SK, SECRET, [tokens.voice_grant(True, "AP" + "1" * 32, {"floor": "2"}),
                         tokens.video_grant("kitchen"), tokens.chat_grant("IS" + "2" * 32)],
        identity="fan-controller")
    theirs = AccessToken(AC, SK, SECRET, identity="fan-controller", grants=[
        VoiceGrant(incoming_allow=True, outgoing_application_sid="AP" + "1" * 32,
                   outgoing_application_params={"floor": "2"}),
        VideoGrant(room="kitchen"), ChatGrant(service_sid="IS" + "2" * 32)]).to_jwt()
    assert ours == theirs
    assert pyjwt.get_unverified_header(ours) == {"alg": "HS256", "cty": "twilio-fpa;v=1",
                                                 "typ": "JWT"}
    assert decode(ours) == {
        "jti": SK + "-%d" % T, "iss": SK, "sub": AC, "nbf": T, "exp": T + 3600,
        "grants": {"identity": "fan-controller", "video": {"room": "kitchen"},
                   "chat": {"service_sid": "IS" + "2" * 32},
                   "voice": {"incoming": {"allow": True},
                             "outgoing": {"application_sid": "AP" + "1" * 32,
                                          "params": {"floor": "2"}}}}}


def test_access_token_options(clock):
    ours = tokens.access_token(AC, SK, SECRET, [tokens.video_grant()], ttl=60, region="ie1")
    theirs = AccessToken(AC, SK, SECRET, grants=[VideoGrant()], ttl=60, region="ie1")
    assert ours == theirs.to_jwt()
    assert pyjwt.get_unverified_header(ours)["twr"] == "ie1"
    until = tokens.access_token(AC, SK, SECRET, valid_until=T + 99)
    assert until == AccessToken(AC, SK, SECRET, valid_until=T + 99).to_jwt()
    assert decode(until)["exp"] == T + 99
    assert decode(tokens.access_token(AC, SK, SECRET, issued_at=T - 10))["nbf"] == T - 10


names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


@given(names, names, st.dictionaries(names, names, max_size=3), st.booleans(),
       st.integers(1, 86400))
@settings(max_examples=150, deadline=None)
def test_access_token_agrees_on_generated_grants(identity, room, params, incoming, ttl):
    real = time.time
    time.time = lambda: T
    try:
        ours = tokens.access_token(AC, SK, SECRET, [
            tokens.voice_grant(incoming, "AP" + "3" * 32, params, endpoint_id=room),
            tokens.video_grant(room)], identity=identity, ttl=ttl)
        theirs = AccessToken(AC, SK, SECRET, identity=identity, ttl=ttl, grants=[
            VoiceGrant(incoming_allow=incoming, outgoing_application_sid="AP" + "3" * 32,
                       outgoing_application_params=params, endpoint_id=room),
            VideoGrant(room=room)]).to_jwt()
    finally:
        time.time = real
    assert ours == theirs


def _official_capability(incoming=None, outgoing=None, params=None, ttl=3600):
    c = ClientCapabilityToken(AC, AUTH, ttl=ttl)
    if outgoing:
        c.allow_client_outgoing(outgoing, **(params or {}))
    if incoming:
        c.allow_client_incoming(incoming)
    return c.to_jwt()


def test_capability_token_is_the_official_one(clock):
    """The node seed's examples: allowClientIncoming('jenny'), allowClientOutgoing('AP123'),
    generate(120)."""
    for kw in ({"incoming": "jenny"}, {"outgoing": "AP123"}, {"outgoing": "AP123", "ttl": 120},
               {"incoming": "jenny", "outgoing": "AP123", "params": {"a b": "1&2", "n": 3}},
               {"outgoing": "AP123", "params": {"list": ["x", "é"]}}, {}):
        ours = tokens.capability_token(AC, AUTH, kw.get("incoming"), kw.get("outgoing"),
                                       kw.get("params"), kw.get("ttl", 3600))
        assert ours == _official_capability(**kw), kw
    token = tokens.capability_token(AC, AUTH, "jenny", "AP123", {"a b": "1&2"})
    assert decode(token, AUTH) == {
        "iss": AC, "nbf": T, "exp": T + 3600,
        "scope": "scope:client:outgoing?appParams=a%2Bb%3D1%25262&appSid=AP123&clientName=jenny"
                 " scope:client:incoming?clientName=jenny"}


@given(names, names, st.dictionaries(names, names, max_size=3))
@settings(max_examples=150, deadline=None)
def test_capability_token_agrees_on_generated_names(client, app, params):
    real = time.time
    time.time = lambda: T
    try:
        ours = tokens.capability_token(AC, AUTH, client, app, params)
        theirs = _official_capability(client, app, params)
    finally:
        time.time = real
    assert ours == theirs


def test_ports_whose_epoch_is_2000_get_unix_time(monkeypatch):
    monkeypatch.setattr(time, "gmtime", lambda s=None: (2000, 1, 1, 0, 0, 0, 5, 1))
    monkeypatch.setattr(time, "time", lambda: T - tokens.UNIX_2000)
    assert tokens.now() == T
    assert decode(tokens.access_token(AC, SK, SECRET))["exp"] == T + 3600


def test_an_unset_clock_is_refused(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 86400.0)
    with pytest.raises(RuntimeError, match="the clock is not set .* ntptime.settime()"):
        tokens.access_token(AC, SK, SECRET)


@pytest.mark.parametrize("args, message", [
    (("AC123", SK, SECRET), "account_sid must be AC followed by 32 hex digits"),
    ((AC, AC, SECRET), "api_key_sid must be SK followed by 32 hex digits"),
    ((AC, SK, ""), "api_key_secret is empty"),
])
def test_bad_credentials_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        tokens.access_token(*args)


def test_tokens_on_both_runtimes(runtime):
    voice = tokens.voice_grant(True, "AP" + "1" * 32, {"floor": "2", "é": "😀"})
    calls = [
        ["tokens", "access_token", [AC, SK, SECRET, [list(voice), ["video", {"room": "r"}]]],
         {"identity": "jenny", "issued_at": T}],
        ["tokens", "capability_token", [AC, AUTH, "jenny", "AP123", {"a b": "1&2"}],
         {"issued_at": T}],
        ["tokens", "access_token", [AC, SK, SECRET], {}],
        ["tokens", "access_token", ["AC1", SK, SECRET], {}],
    ]
    before = int(time.time())
    got = result(runtime, "call.py", {"calls": calls})
    after = int(time.time())
    [ok1, access], [ok2, capability], [ok3, current], error = got
    assert ok1 == ok2 == ok3 == "ok"
    with pytest.MonkeyPatch.context() as m:
        m.setattr(time, "time", lambda: T)
        assert decode(access) == decode(AccessToken(AC, SK, SECRET, identity="jenny", grants=[
            VoiceGrant(incoming_allow=True, outgoing_application_sid="AP" + "1" * 32,
                       outgoing_application_params={"floor": "2", "é": "😀"}),
            VideoGrant(room="r")]).to_jwt())
        assert decode(capability, AUTH) == decode(
            _official_capability("jenny", "AP123", {"a b": "1&2"}), AUTH)
    assert pyjwt.get_unverified_header(access) == {"alg": "HS256", "cty": "twilio-fpa;v=1",
                                                   "typ": "JWT"}
    claims = pyjwt.decode(current, SECRET, algorithms=["HS256"])  # exp and nbf checked
    assert before <= claims["nbf"] <= after and claims["exp"] == claims["nbf"] + 3600
    assert error[0] == "ValueError" and "account_sid must be AC" in error[1]
