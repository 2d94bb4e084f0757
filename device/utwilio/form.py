"""application/x-www-form-urlencoded, as Twilio and Python's quote_plus do it:
UTF-8 bytes, unreserved characters kept, space as '+', everything else %XX."""

_HEX = b"0123456789ABCDEF"


def _quote_into(out, text):
    for b in text.encode() if isinstance(text, str) else text:
        if 97 <= b <= 122 or 65 <= b <= 90 or 48 <= b <= 57 or b in b"_.-~":
            out.append(b)
        elif b == 32:
            out.append(43)
        else:
            out.append(37)
            out.append(_HEX[b >> 4])
            out.append(_HEX[b & 15])


def encode(pairs):
    """[(name, value), ...] -> bytearray body; a name may repeat (MediaUrl)."""
    out = bytearray()
    for name, value in pairs:
        if out:
            out.append(38)
        _quote_into(out, name)
        out.append(61)
        _quote_into(out, value)
    return out


def _hex(b):
    if 48 <= b <= 57:
        return b - 48
    if 65 <= b <= 70:
        return b - 55
    if 97 <= b <= 102:
        return b - 87
    return -1


def _unquote(part):
    """One name or value: '+' is a space, %XX a byte; the bytes are UTF-8."""
    if b"%" in part:
        out = bytearray()
        i, n = 0, len(part)
        while i < n:
            b = part[i]
            if b == 37:
                hi = _hex(part[i + 1]) if i + 1 < n else -1
                lo = _hex(part[i + 2]) if i + 2 < n else -1
                if hi < 0 or lo < 0:
                    raise ValueError("form data has a bad %%-escape %r: '%%' must be followed "
                                     "by two hex digits" % part[i:i + 3])
                out.append(hi * 16 + lo)
                i += 3
            else:
                out.append(32 if b == 43 else b)
                i += 1
        part = bytes(out)
    else:
        part = part.replace(b"+", b" ")
    try:
        return part.decode()
    except UnicodeError:
        raise ValueError("form data is not UTF-8 after %%-decoding: %r" % part)


def parse(body):
    """application/x-www-form-urlencoded body (bytes or str) -> [(name, value), ...]
    in order, repeated names kept, blank values kept ('a=' and 'a' give ('a', ''))."""
    if isinstance(body, str):
        body = body.encode()
    pairs = []
    for field in bytes(body).split(b"&"):
        if not field:
            continue
        eq = field.find(b"=")
        if eq < 0:
            pairs.append((_unquote(field), ""))
        else:
            pairs.append((_unquote(field[:eq]), _unquote(field[eq + 1:])))
    return pairs


def to_dict(pairs):
    """[(name, value), ...] -> {name: [value, ...]}, values in arrival order."""
    d = {}
    for name, value in pairs:
        if name in d:
            d[name].append(value)
        else:
            d[name] = [value]
    return d
