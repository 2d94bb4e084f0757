"""HMAC (RFC 2104) over hashlib, and a constant-time compare: MicroPython firmware has
hashlib.sha1/sha256 but no hmac module, so both runtimes use this one."""

_BLOCK = 64  # SHA-1 and SHA-256 both hash 64-byte blocks


def digest(key, chunks, hash):
    """HMAC of the concatenated `chunks` (an iterable of bytes or str, str as UTF-8)
    under `key` (bytes or str); `hash` is hashlib.sha1 or hashlib.sha256.
    Chunks are fed one by one, so a long message is never joined in RAM."""
    if isinstance(key, str):
        key = key.encode()
    if len(key) > _BLOCK:
        key = hash(key).digest()
    pad = bytearray(_BLOCK)  # one buffer, XORed in place: the device's heap is small
    pad[:len(key)] = key
    for i in range(_BLOCK):
        pad[i] ^= 0x36
    inner = hash(pad)
    for chunk in chunks:
        inner.update(chunk.encode() if isinstance(chunk, str) else chunk)
    for i in range(_BLOCK):
        pad[i] ^= 0x36 ^ 0x5C
    outer = hash(pad)
    outer.update(inner.digest())
    return outer.digest()


def equal(a, b):
    """a == b in time that depends on their lengths only (str as UTF-8)."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= a[i] ^ b[i]
    return diff == 0
