"""Tokens for Twilio's client SDKs, made on the device: Access Tokens (Voice, Chat,
Video grants; signed with an API key) and the legacy Client Capability Token (signed
with the Auth Token). Both are HS256 JWTs with exp/nbf, so the clock must be right:
set it with NTP (ntptime.settime()) before making a token."""

import time

from utwilio import form, jwt, validate

UNIX_2000 = 946684800  # seconds from 1970-01-01 to 2000-01-01
_CLOCK_SET_AFTER = 1704067200  # 2024-01-01: an earlier clock was never set


def now():
    """Unix time in whole seconds on every port: ports whose epoch is 2000-01-01
    (time.gmtime(0) says so) get 946684800 added. A clock that was never set is refused,
    since it would make tokens that expired long ago."""
    t = int(time.time())
    if time.gmtime(0)[0] == 2000:
        t += UNIX_2000
    if t < _CLOCK_SET_AFTER:
        raise RuntimeError("the clock is not set (Unix time %d is before 2024): set it with "
                           "ntptime.settime() before making tokens" % t)
    return t


def voice_grant(incoming_allow=None, outgoing_application_sid=None,
                outgoing_application_params=None, push_credential_sid=None, endpoint_id=None):
    grant = {}
    if incoming_allow is True:
        grant["incoming"] = {"allow": True}
    if outgoing_application_sid:
        grant["outgoing"] = {"application_sid": outgoing_application_sid}
        if outgoing_application_params:
            grant["outgoing"]["params"] = outgoing_application_params
    if push_credential_sid:
        grant["push_credential_sid"] = push_credential_sid
    if endpoint_id:
        grant["endpoint_id"] = endpoint_id
    return "voice", grant


def chat_grant(service_sid=None, endpoint_id=None, deployment_role_sid=None,
               push_credential_sid=None):
    grant = {}
    for key, value in (("service_sid", service_sid), ("endpoint_id", endpoint_id),
                       ("deployment_role_sid", deployment_role_sid),
                       ("push_credential_sid", push_credential_sid)):
        if value:
            grant[key] = value
    return "chat", grant


def video_grant(room=None):
    return "video", {"room": room} if room else {}


def access_token(account_sid, api_key_sid, api_key_secret, grants=(), identity=None,
                 ttl=3600, valid_until=None, region=None, issued_at=None):
    """An Access Token for the Voice/Conversations/Video SDKs, valid from now (or
    `issued_at`, Unix seconds) for `ttl` seconds or until `valid_until`.
    grants: the pairs voice_grant(), chat_grant(), video_grant() return."""
    validate.sid("account_sid", account_sid, "AC")
    validate.sid("api_key_sid", api_key_sid, "SK")
    validate.secret("api_key_secret", api_key_secret)
    t = now() if issued_at is None else issued_at
    payload = {"jti": "%s-%d" % (api_key_sid, t), "grants": {}}
    for key, grant in grants:
        payload["grants"][key] = grant
    if identity:
        payload["grants"]["identity"] = identity
    payload["iss"] = api_key_sid
    payload["exp"] = valid_until or t + ttl
    payload["nbf"] = t
    payload["sub"] = account_sid
    headers = {"cty": "twilio-fpa;v=1"}
    if isinstance(region, str) and region:
        headers["twr"] = region
    return jwt.encode(payload, api_key_secret, headers)


def _scope(service, privilege, params):
    pairs = sorted(params.items())
    return "scope:%s:%s%s" % (service, privilege,
                              "?" + bytes(form.encode(pairs)).decode() if pairs else "")


def capability_token(account_sid, auth_token, incoming=None, outgoing=None,
                     outgoing_params=None, ttl=3600, issued_at=None):
    """A Client Capability Token (twilio.js 1.x, the node seed's twilio.Capability):
    incoming: the client name that may receive calls; outgoing: the TwiML App SID the
    client calls, with outgoing_params (a dict) passed to it."""
    validate.sid("account_sid", account_sid, "AC")
    validate.secret("auth_token", auth_token)
    t = now() if issued_at is None else issued_at
    scopes = []
    if outgoing:
        params = {"appSid": outgoing}
        if outgoing_params:
            pairs = []
            for key, value in outgoing_params.items():
                for v in value if isinstance(value, (list, tuple)) else [value]:
                    pairs.append((key, v if isinstance(v, str) else str(v)))
            params["appParams"] = bytes(form.encode(pairs)).decode()
        if incoming:
            params["clientName"] = incoming
        scopes.append(_scope("client", "outgoing", params))
    if incoming:
        scopes.append(_scope("client", "incoming", {"clientName": incoming}))
    payload = {"scope": " ".join(scopes), "iss": account_sid, "exp": t + ttl, "nbf": t}
    return jwt.encode(payload, auth_token)
