"""Checks run before anything touches the network: each error names the field,
the bad value and the fix, and nothing is sent."""

MAX_BODY = 1600
MAX_MEDIA = 10


def _digits(s):
    for c in s:
        if c < "0" or c > "9":
            return False
    return True


def _is_e164(s):
    return len(s) >= 9 and len(s) <= 16 and s[0] == "+" and s[1] != "0" and _digits(s[1:])


def _text(field, value):
    if not isinstance(value, str):
        raise TypeError("%s must be a str, got %s" % (field, type(value).__name__))
    return value


def _hint(value):
    bare = value.replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
    if _digits(bare) and 8 <= len(bare) <= 15:
        return " (did you mean '+%s'? E.164 numbers start with + and the country code)" % bare
    return ""


def phone(field, value):
    """`To`: an E.164 number, or `whatsapp:` + one."""
    _text(field, value)
    bare = value[9:] if value.startswith("whatsapp:") else value
    if not _is_e164(bare):
        raise ValueError(
            "%s must be an E.164 number like +15551234567 (or whatsapp:+15551234567), got %r%s"
            % (field, value, _hint(bare))
        )
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
        raise ValueError(
            "%s must be an E.164 number like +15551234567 or an alphanumeric sender ID "
            "(1-11 letters, digits or spaces, at least one letter), got %r" % (field, value)
        )
    return value


def same_channel(to, from_):
    if to.startswith("whatsapp:") != from_.startswith("whatsapp:"):
        raise ValueError(
            "To %r and From %r must both be whatsapp: addresses or both plain numbers" % (to, from_)
        )


def body(value, has_media):
    _text("message", value)
    if not value and not has_media:
        raise ValueError("message is empty: give the text to send (or a media_url for an MMS)")
    if len(value) > MAX_BODY:
        raise ValueError(
            "message is %d characters; Twilio accepts at most %d: shorten it or split it"
            % (len(value), MAX_BODY)
        )
    return value


def url(field, value):
    _text(field, value)
    if not (value.startswith("https://") or value.startswith("http://")) or " " in value:
        raise ValueError("%s must be an http(s):// URL, got %r" % (field, value))
    return value


def media_urls(value):
    """None, one URL or a list of up to 10 -> a list (MediaUrl repeats on the wire)."""
    if value is None:
        return []
    urls = [value] if isinstance(value, str) else value
    if not isinstance(urls, (list, tuple)):
        raise TypeError("media_url must be a str or a list of str, got %s" % type(value).__name__)
    if len(urls) > MAX_MEDIA:
        raise ValueError(
            "media_url has %d URLs; Twilio accepts at most %d" % (len(urls), MAX_MEDIA))
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
        raise ValueError(
            "%s must be %s followed by 32 hex digits (see the Twilio console), got %r"
            % (field, prefix, value)
        )
    return value


def secret(field, value):
    _text(field, value)
    if not value:
        raise ValueError("%s is empty: copy it from the Twilio console" % field)
    return value


def base_url(value):
    url("base_url", value)
    if value.endswith("/"):
        value = value[:-1]
    if "/" in value[8:]:
        raise ValueError("base_url must be scheme://host[:port] with no path, got %r" % value)
    return value
