"""X-Twilio-Signature: compute and check the signature Twilio puts on its webhooks.

signature = base64(HMAC(secret, URL + name + value ... for each parameter name in sorted
order and each of its distinct values in sorted order)). The secret is the account Auth
Token, or a SharedKey secret when the request carries X-Twilio-Webhooks-Signature-Settings
(then the algorithm named there, HMAC_SHA256, replaces HMAC_SHA1). JSON webhooks sign the
URL alone, and the URL's `bodySHA256` query parameter carries the hex SHA-256 of the body."""

import binascii
import hashlib

from utwilio import hmac

HEADER = "X-Twilio-Signature"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
HMAC_SHA1 = "HMAC_SHA1"
HMAC_SHA256 = "HMAC_SHA256"


def _hash(algorithm):
    name = algorithm.upper() if isinstance(algorithm, str) else algorithm
    if name == HMAC_SHA1:
        return hashlib.sha1
    if name == HMAC_SHA256:
        return hashlib.sha256
    raise ValueError("signature algorithm must be HMAC_SHA1 or HMAC_SHA256, got %r" % algorithm)


def _signed(params):
    """The chunks Twilio appends to the URL: name, value, name, value ... sorted by
    name then value, each distinct pair once."""
    if not params:
        return []
    pairs = []
    for name, value in params.items() if isinstance(params, dict) else params:
        for v in value if isinstance(value, (list, tuple)) else (value,):
            if not isinstance(name, str) or not isinstance(v, str):
                raise TypeError("signed parameters must be str, got %r=%r" % (name, v))
            pairs.append((name, v))
    pairs.sort()
    chunks = []
    last = None
    for pair in pairs:
        if pair != last:
            chunks.append(pair[0])
            chunks.append(pair[1])
            last = pair
    return chunks


def _sign(secret, url, chunks, hash):
    mac = hmac.digest(secret, [url] + chunks, hash)
    return binascii.b2a_base64(mac)[:-1].decode()


def compute(auth_token, url, params=None, algorithm=HMAC_SHA1):
    """The X-Twilio-Signature value for a request to `url` with form `params`:
    [(name, value), ...] or {name: value or [values]}; None or [] for JSON webhooks."""
    return _sign(auth_token, url, _signed(params), _hash(algorithm))


def algorithm(settings_header):
    """The algorithm named by an X-Twilio-Webhooks-Signature-Settings header
    ('key=<SharedKey id>,algorithm=HMAC_SHA256'); HMAC_SHA1 when absent."""
    for part in (settings_header or "").split(","):
        eq = part.find("=")
        if eq > 0 and part[:eq].strip() == "algorithm" and part[eq + 1:].strip():
            return part[eq + 1:].strip()
    return HMAC_SHA1


def _query_value(url, name):
    """The first value of query parameter `name` in `url`, or None."""
    q = url.find("?")
    if q < 0:
        return None
    f = url.find("#", q)
    for field in url[q + 1:f if f >= 0 else len(url)].split("&"):
        eq = field.find("=")
        if (field if eq < 0 else field[:eq]) == name:
            return "" if eq < 0 else field[eq + 1:]
    return None


def _with_and_without_port(url):
    """[url with its port, url without]: Twilio has signed either form, so the official
    validators (Python, Node) accept both, and drop any port, default or not. A URL
    without a port gets the default one (:443 for https, else :80). The URL is otherwise
    taken as given: no case folding or re-escaping (the Python library's urlparse drops an
    empty '?' or '#'; the Node library also tries a re-escaped form)."""
    s = url.find("://")
    if s < 0:
        return [url]
    start = s + 3
    end = len(url)
    for c in "/?#":
        i = url.find(c, start)
        if 0 <= i < end:
            end = i
    authority = url[start:end]
    colon = authority.rfind(":")
    if colon > authority.rfind("@") and colon > authority.rfind("]"):
        return [url, url[:start + colon] + url[end:]]
    port = ":443" if url[:s].lower() == "https" else ":80"
    return [url[:end] + port + url[end:], url]


def validate(auth_token, signature, url, params=None, body=None, algorithm=HMAC_SHA1):
    """True when `signature` (the X-Twilio-Signature header) is Twilio's for this request.

    url: the exact public URL Twilio requested (behind a proxy, the one configured in
    Twilio, not the one the server sees). params: the form parameters, all of them.
    body: the raw body of a JSON webhook; when the URL has `bodySHA256` it must be given
    and match (a request without it fails), and no params are signed."""
    if not isinstance(signature, str) or not signature:
        return False
    try:
        hash = _hash(algorithm)
    except ValueError:
        return False
    body_hash = _query_value(url, "bodySHA256")
    if body_hash is not None:
        if body is None:
            return False
        if isinstance(body, str):
            body = body.encode()
        if not hmac.equal(binascii.hexlify(hashlib.sha256(body).digest()), body_hash):
            return False
        params = None
    chunks = _signed(params)
    ok = False
    for candidate in _with_and_without_port(url):
        ok = hmac.equal(_sign(auth_token, candidate, chunks, hash), signature) or ok
    return ok
