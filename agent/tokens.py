"""Device tokens: 256 random bits shown once; the agent keeps only their SHA-256.

A token has full entropy, so a fast hash is enough (no password stretching); the
comparison is constant-time so that timing reveals nothing about the stored hash."""

import hashlib
import hmac
import secrets

# Compared against when the device is unknown, so that an unknown id costs the same.
_NOBODY = hashlib.sha256(b"no such device").digest()


def new_token():
    return secrets.token_urlsafe(32)


def token_hash(token):
    return hashlib.sha256(token.encode()).digest()


def matches(token, stored_hash):
    return hmac.compare_digest(token_hash(token), stored_hash or _NOBODY) and bool(stored_hash)
