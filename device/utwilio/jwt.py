"""JSON Web Tokens signed with HS256 (RFC 7519), the only kind Twilio's tokens use.
The header is written with sorted keys, as PyJWT writes it."""

import binascii
import hashlib
import json

from utwilio import hmac


def _b64url(data):
    return binascii.b2a_base64(data)[:-1].replace(b"+", b"-").replace(b"/", b"_").replace(
        b"=", b"")


def encode(payload, secret, headers=None):
    """payload (a dict) signed with `secret` -> 'header.payload.signature'."""
    header = {"alg": "HS256", "typ": "JWT"}
    if headers:
        header.update(headers)
    head = "{" + ",".join([json.dumps(k) + ":" + json.dumps(header[k])
                           for k in sorted(header)]) + "}"
    signed = _b64url(head.encode()) + b"." + _b64url(
        json.dumps(payload, separators=(",", ":")).encode())
    return (signed + b"." + _b64url(hmac.digest(secret, [signed], hashlib.sha256))).decode()
