"""The errors utwilio.validate raises, each naming the field, the bad value and the fix,
and the fix for settings Twilio refused; loaded only when an input is bad."""


def _hint(value):
    bare = value.replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
    if bare[:1] == "+":
        bare = bare[1:]
    if bare.isdigit() and 8 <= len(bare) <= 15:
        return " (did you mean '+%s'? E.164 numbers start with + and the country code)" % bare
    return ""


def not_text(field, value):
    raise TypeError("%s must be a str, got %s" % (field, type(value).__name__))


def phone(field, value):
    bare = value[9:] if value.startswith("whatsapp:") else value
    raise ValueError(
        "%s must be an E.164 number like +15551234567 (or whatsapp:+15551234567), got %r%s"
        % (field, value, _hint(bare)))


def sender(field, value):
    raise ValueError(
        "%s must be an E.164 number like +15551234567 or an alphanumeric sender ID "
        "(1-11 letters, digits or spaces, at least one letter), got %r" % (field, value))


def channels(to, from_):
    raise ValueError(
        "To %r and From %r must both be whatsapp: addresses or both plain numbers" % (to, from_))


def body(value, limit):
    if value:
        raise ValueError("message is %d characters; Twilio accepts at most %d: shorten it or "
                         "split it" % (len(value), limit))
    raise ValueError("message is empty: give the text to send (or a media_url for an MMS)")


def url(field, value):
    raise ValueError("%s must be an http(s):// URL, got %r" % (field, value))


def media_urls(value, limit):
    if not isinstance(value, (str, list, tuple)):
        raise TypeError("media_url must be a str or a list of str, got %s"
                        % type(value).__name__)
    raise ValueError("media_url has %d URLs; Twilio accepts at most %d" % (len(value), limit))


def sid(field, value, prefix):
    raise ValueError("%s must be %s followed by 32 hex digits (see the Twilio console), got %r"
                     % (field, prefix, value))


def secret(field):
    raise ValueError("%s is empty: copy it from the Twilio console" % field)


def base_url(value):
    raise ValueError("base_url must be scheme://host[:port] with no path, got %r" % value)


def credentials(message):
    """Twilio's 20003 (401) names no setting: these are the ones to check."""
    return ("%s: check account_sid and auth_token (with api_key=, auth_token is that key's "
            "secret), copied from the Twilio console" % (message or "Authenticate"))
