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



def parse(body):
    """application/x-www-form-urlencoded body (bytes or str) -> [(name, value), ...]
    in order, repeated names kept, blank values kept ('a=' and 'a' give ('a', ''));
    ValueError for a bad %-escape or bytes that are not UTF-8. The parser is loaded on
    first use: a device that only sends never pays for it."""
    from utwilio.formparse import parse

    return parse(body)


def to_dict(pairs):
    """[(name, value), ...] -> {name: [value, ...]}, values in arrival order."""
    d = {}
    for name, value in pairs:
        if name in d:
            d[name].append(value)
        else:
            d[name] = [value]
    return d
