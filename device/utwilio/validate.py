"""Checks run before anything touches the network: each error names the field,
the bad value and the fix, and nothing is sent. The messages live in
utwilio.invalid, loaded only when an input is bad (a board keeps its RAM otherwise)."""

MAX_BODY = 1600
MAX_MEDIA = 10


def _bad(what, *args):
    from utwilio import invalid

    getattr(invalid, what)(*args)  # raises


def _digits(s):
    for c in s:
        if c < "0" or c > "9":
            return False
    return True


def _is_e164(s):
    return len(s) >= 9 and len(s) <= 16 and s[0] == "+" and s[1] != "0" and _digits(s[1:])


def _text(field, value):
    if not isinstance(value, str):
        _bad("not_text", field, value)
    return value


def phone(field, value):
    """`To`: an E.164 number, or `whatsapp:` + one."""
    _text(field, value)
    if not _is_e164(value[9:] if value.startswith("whatsapp:") else value):
        _bad("phone", field, value)
    return value


def sender(field, value):
    """`From`: a phone number, or an alphanumeric sender ID (1-11 letters, digits
    and spaces, at least one letter), as Twilio accepts."""
    _text(field, value)
    if value.startswith("+") or value.startswith("whatsapp:") or _digits(value):
        return phone(field, value)
    ok = 0 < len(value) <= 11
    letters = 0
    for c in value:
        if "A" <= c <= "Z" or "a" <= c <= "z":
            letters += 1
        elif not ("0" <= c <= "9" or c == " "):
            ok = False
    if not ok or not letters:
        _bad("sender", field, value)
    return value


def same_channel(to, from_):
    if to.startswith("whatsapp:") != from_.startswith("whatsapp:"):
        _bad("channels", to, from_)


def body(value, has_media):
    _text("message", value)
    if (not value and not has_media) or len(value) > MAX_BODY:
        _bad("body", value, MAX_BODY)
    return value


def url(field, value):
    _text(field, value)
    if not (value.startswith("https://") or value.startswith("http://")) or " " in value:
        _bad("url", field, value)
    return value


def media_urls(value):
    """None, one URL or a list of up to 10 -> a list (MediaUrl repeats on the wire)."""
    if value is None:
        return []
    urls = [value] if isinstance(value, str) else value
    if not isinstance(urls, (list, tuple)) or len(urls) > MAX_MEDIA:
        _bad("media_urls", value, MAX_MEDIA)
    for u in urls:
        url("media_url", u)
    return urls


def sid(field, value, prefix):
    _text(field, value)
    ok = len(value) == 34 and value[:2] == prefix
    for c in value[2:]:
        if not ("0" <= c <= "9" or "a" <= c <= "f" or "A" <= c <= "F"):
            ok = False
    if not ok:
        _bad("sid", field, value, prefix)
    return value


def secret(field, value):
    _text(field, value)
    if not value:
        _bad("secret", field)
    return value


def base_url(value):
    url("base_url", value)
    if value.endswith("/"):
        value = value[:-1]
    if "/" in value[8:]:
        _bad("base_url", value)
    return value
