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
