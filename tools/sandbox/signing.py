"""X-Twilio-Signature: base64(HMAC-SHA1(auth token, URL + sorted name+value pairs))."""

import base64
import hashlib
import hmac


def signature(auth_token, url, params):
    """`params` is a list of (name, value); each name's distinct values are sorted."""
    payload = url
    for name in sorted({name for name, _ in params}):
        for value in sorted({v for n, v in params if n == name}):
            payload += name + value
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
