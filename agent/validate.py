"""Values that no database stores: NUL characters, lone UTF-16 surrogates (JSON's
"\\ud800" decodes to one), numbers JSON cannot hold (NaN, Infinity), integers past a
column. Refused at the door with the field named, on both stores, rather than
answered with a 500 from deep in a driver."""

import math

from .errors import BadRequest

INT_MAX = 2**31 - 1  # a 4-byte integer column (Twilio's codes are 5 digits)


def problem(text):
    """-> what is wrong with the string, or None."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return "contains a lone UTF-16 surrogate (\\u%04x) at character %d" % (
            ord(text[error.start]), error.start)
    return None


def check(where, value):
    """Raises BadRequest naming `where` if any string in a JSON value is unstorable."""
    if isinstance(value, str):
        found = problem(value)
        if found:
            raise BadRequest("%s %s: send valid Unicode text" % (where, found))
    elif isinstance(value, dict):
        for key, item in value.items():
            check("%s key %r" % (where, key[:40]) if isinstance(key, str) else where, key)
            check("%s.%s" % (where, key[:40]) if isinstance(key, str) else where, item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check("%s[%d]" % (where, i), item)
    elif isinstance(value, float) and not math.isfinite(value):
        raise BadRequest("%s is %r: JSON numbers must be finite" % (where, value))
    return value


def code(where, raw):
    """A Twilio error code from a callback: a whole number in range, or None."""
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 10 or int(raw) > INT_MAX:
        raise BadRequest("%s must be a whole number up to %d, got %r" % (where, INT_MAX, raw[:20]))
    return int(raw)
