"""HMAC-SHA256 webhook signatures, set per number as in Twilio's console: the sandbox
signs that number's webhooks with the SharedKey and says so in
X-Twilio-Webhooks-Signature-Settings; the official validator accepts them."""

import httpx
from twilio.request_validator import (
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from utwilio_sandbox.clients import twilio_client
from utwilio_sandbox.settings import DEFAULT_AUTH_TOKEN

PHONE, NUMBER, OTHER = "+15551234567", "+15005550006", "+15017122661"
SECRET = "sandboxSharedKeySecret00000000001"


def settings(server, number, **fields):
    response = httpx.post(server.url + "/sandbox/numbers/" + number, data=fields)
    assert response.status_code == 200, response.text
    return response.json()


def text(server, body, to=NUMBER):
    response = httpx.post(
        server.url + "/sandbox/phone/messages", data={"From": PHONE, "To": to, "Body": body}
    )
    assert response.status_code == 201, response.text


def valid(request, secret, algorithm=None):
    return RequestValidator(secret).validate(
        request["url"],
        dict(request["form"]),
        request["headers"]["x-twilio-signature"],
        algorithm=algorithm,
    )


def test_a_number_set_to_hmac_sha256_signs_with_its_shared_key(fast, receiver, wait):
    view = settings(
        fast,
        NUMBER,
        SmsUrl=receiver.url + "/sms",
        SignatureAlgorithm="HMAC_SHA256",
        SharedKeySecret=SECRET,
    )
    assert view["signature_algorithm"] == "HMAC_SHA256" and view["sms_url"].endswith("/sms")
    text(fast, "fan on")
    [request] = receiver.wait_for(1, "/sms")
    header = request["headers"][SIGNATURE_SETTINGS_HEADER.lower()]
    assert header == "key=%s,algorithm=HMAC_SHA256" % view["signature_key_id"]
    algorithm = get_signature_algorithm(header)
    assert algorithm == "HMAC_SHA256"
    assert valid(request, SECRET, algorithm)
    assert not valid(request, DEFAULT_AUTH_TOKEN)  # not the auth token, not SHA-1
    assert not valid(request, "wrong" + SECRET, algorithm)


def test_other_numbers_and_the_default_stay_hmac_sha1_with_the_auth_token(fast, receiver):
    settings(fast, NUMBER, SignatureAlgorithm="HMAC_SHA256", SharedKeySecret=SECRET)
    settings(fast, OTHER, SmsUrl=receiver.url + "/other")
    text(fast, "hello", to=OTHER)
    [request] = receiver.wait_for(1, "/other")
    assert SIGNATURE_SETTINGS_HEADER.lower() not in request["headers"]
    assert valid(request, DEFAULT_AUTH_TOKEN)
    settings(fast, NUMBER, SignatureAlgorithm="HMAC_SHA1", SmsUrl=receiver.url + "/back")
    text(fast, "again")
    [request] = receiver.wait_for(1, "/back")
    assert SIGNATURE_SETTINGS_HEADER.lower() not in request["headers"]
    assert valid(request, DEFAULT_AUTH_TOKEN)


def test_status_callbacks_of_messages_from_the_number_are_signed_the_same_way(fast, receiver):
    settings(
        fast,
        NUMBER,
        SignatureAlgorithm="HMAC_SHA256",
        SharedKeySecret=SECRET,
        SharedKeyId="webhooks_sharedkey_greenhouse",
    )
    twilio_client(fast.url).messages.create(
        to=PHONE, from_=NUMBER, body="x", status_callback=receiver.url + "/status"
    )
    requests = receiver.wait_for(3, "/status")
    for request in requests:
        header = request["headers"][SIGNATURE_SETTINGS_HEADER.lower()]
        assert header == "key=webhooks_sharedkey_greenhouse,algorithm=HMAC_SHA256"
        assert valid(request, SECRET, "HMAC_SHA256")


def test_bad_settings_are_refused_with_the_fix(fast):
    for fields, words in [
        ({"SignatureAlgorithm": "HMAC_SHA256"}, "SharedKeySecret is required"),
        ({"SignatureAlgorithm": "MD5"}, "HMAC_SHA1 or HMAC_SHA256"),
        ({"SmsUrl": "not a url"}, "SmsUrl"),
    ]:
        response = httpx.post(fast.url + "/sandbox/numbers/" + NUMBER, data=fields)
        assert response.status_code == 400 and words in response.json()["message"]
    assert httpx.post(fast.url + "/sandbox/numbers/+15559999999", data={}).status_code == 404
    listed = httpx.get(fast.url + "/sandbox/numbers").json()["numbers"]
    assert [n["phone_number"] for n in listed] == [NUMBER, OTHER]
    assert {n["signature_algorithm"] for n in listed} == {"HMAC_SHA1"}
