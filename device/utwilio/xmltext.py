"""Text safe inside XML 1.0: markup characters escaped, forbidden characters dropped,
a carriage return written `&#13;` (a parser turns a raw one into a line feed).

Dropping (not escaping) control characters is the only way to stay well-formed:
XML 1.0 has no escape for them, and Twilio rejects a document that holds one.
The one TwiML writer's escaping: utwilio.reply and utwilio.twiml both use it."""


def _allowed(ch):
    o = ord(ch)
    if o < 32:
        return o == 9 or o == 10 or o == 13
    return not (0xD800 <= o <= 0xDFFF or o == 0xFFFE or o == 0xFFFF)


def escape(text, quotes=True):
    for ch in text:
        if not _allowed(ch):
            text = "".join([c for c in text if _allowed(c)])
            break
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if quotes:
        text = text.replace('"', "&quot;").replace("'", "&apos;")
    return text
