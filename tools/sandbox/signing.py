"""The signature on every request the sandbox makes: X-Twilio-Signature =
base64(HMAC(secret, URL + sorted name+value pairs)).

By default the secret is the account's auth token and the hash SHA-1. A number can be
set to sign with a SharedKey and HMAC-SHA256 instead (Twilio's webhook signature
settings); then the request also carries
`X-Twilio-Webhooks-Signature-Settings: key=<key id>,algorithm=HMAC_SHA256`, which is how
Twilio tells the receiver which secret and algorithm to check with."""

import base64
import hashlib
import hmac

HMAC_SHA1, HMAC_SHA256 = "HMAC_SHA1", "HMAC_SHA256"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
_HASHES = {HMAC_SHA1: hashlib.sha1, HMAC_SHA256: hashlib.sha256}


def signature(secret, url, params, algorithm=HMAC_SHA1):
    """`params` is a list of (name, value); each name's distinct values are sorted."""
    payload = url
    for name in sorted({name for name, _ in params}):
        for value in sorted({v for n, v in params if n == name}):
            payload += name + value
    digest = hmac.new(secret.encode(), payload.encode(), _HASHES[algorithm]).digest()
    return base64.b64encode(digest).decode()


class Signer:
    """How one webhook is signed: the auth token with SHA-1, or a number's SharedKey."""

    def __init__(self, secret, algorithm=HMAC_SHA1, key_id=None):
        self.secret, self.algorithm, self.key_id = secret, algorithm, key_id

    def headers(self, url, params):
        found = {"X-Twilio-Signature": signature(self.secret, url, params, self.algorithm)}
        if self.key_id:
            found[SETTINGS_HEADER] = "key=%s,algorithm=%s" % (self.key_id, self.algorithm)
        return found
