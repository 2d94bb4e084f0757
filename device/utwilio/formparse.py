"""The parser behind utwilio.form.parse(), apart so that sending never loads it."""


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
    """See utwilio.form.parse()."""
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

