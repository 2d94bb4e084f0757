"""TwiML documents for messaging and voice replies, byte for byte what the official
Python library writes (attributes sorted, `<Hangup />`), but always well-formed XML:
characters XML 1.0 forbids are dropped instead of written raw.

    r = Response()
    r.say("Welcome")
    g = r.gather(action="/menu", finish_on_key="*", num_digits=1)
    g.say("Press 1 for sales")
    str(r)

Keyword attributes are snake_case and written camelCase (status_callback ->
statusCallback); `from_`/`for_` -> from/for, `xml_lang` -> xml:lang; True/False ->
true/false; a list or tuple -> its items joined by spaces (the official library writes
its Python repr, "['initiated', 'ringing']", which Twilio does not understand); None ->
left out. On MicroPython a float prints with fewer digits than on CPython."""

import json

from utwilio.xmltext import escape

_DECL = '<?xml version="1.0" encoding="UTF-8"?>'
_SPECIAL = {"xml_lang": "xml:lang", "interpret_as": "interpret-as"}

# Which elements each element may hold (the checked methods); add_child() is not checked.
_CHILDREN = {
    "Response": " Message Redirect Say Play Pause Gather Dial Record Hangup Reject Sms Enqueue"
                " Leave ",
    "Message": " Body Media ",
    "Gather": " Say Play Pause ",
    "Dial": " Number Client Conference Queue Sip ",
    "Client": " Identity Parameter ",
    "Enqueue": " Task ",
}


def _camel(name):
    """snake_case -> lowerCamelCase as the official library does it (str.title():
    a letter after a non-letter is upper case, any other letter lower case)."""
    if name in _SPECIAL:
        return _SPECIAL[name]
    if "_" not in name:
        return name
    out = []
    after_letter = False
    for ch in name:
        if ch != "_":
            out.append(ch.lower() if after_letter else ch.upper())
        after_letter = ch.isalpha()
    if out:
        out[0] = out[0].lower()
    return "".join(out)


def _is_name(name):
    if not name or not (name[0].isalpha() or name[0] == "_" or ord(name[0]) > 127):
        return False
    for ch in name:
        if not (ch.isalpha() or ch.isdigit() or ch in "_-.:" or ord(ch) > 127):
            return False
    return True


def _attribute(value):
    if value is True or value is False:
        value = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        value = " ".join([str(v) for v in value])
    else:
        value = str(value)
    return (escape(value, False).replace('"', "&quot;").replace("\n", "&#10;")
            .replace("\r", "&#13;").replace("\t", "&#09;"))


class Element:
    """One TwiML element; its methods add a child element and return it."""

    def __init__(self, tag, text=None, **attrs):
        if not _is_name(tag):
            raise ValueError("TwiML element name must be an XML name like 'Say', got %r" % tag)
        names = []
        for key, value in attrs.items():
            if value is not None:
                name = _camel(key)
                if not _is_name(name):
                    raise ValueError("TwiML attribute name must be an XML name like "
                                     "'status_callback', got %r" % key)
                names.append((name, value))
        names.sort()
        self.tag = tag
        self._attrs = "".join([' %s="%s"' % (n, _attribute(v)) for n, v in names])
        if not text:
            text = ""
        elif isinstance(text, dict):
            text = json.dumps(text)
        self._text = escape(str(text), False)
        self._children = []

    def __str__(self):
        return self.to_xml()

    def to_xml(self, xml_declaration=True):
        out = [_DECL] if xml_declaration else []
        self._render(out)
        return "".join(out)

    def _render(self, out):
        out.append("<" + self.tag + self._attrs)
        if self._text or self._children:
            out.append(">" + self._text)
            for child in self._children:
                child._render(out)
            out.append("</" + self.tag + ">")
        else:
            out.append(" />")

    def append(self, element):
        """Adds a ready-made Element (checked like the methods); returns self."""
        self.nest(element)
        return self

    def nest(self, element):
        """Adds a ready-made Element (checked like the methods); returns it."""
        if not isinstance(element, Element):
            raise TypeError("only TwiML Elements can be nested, got %s; give text as the "
                            "first argument of say(), message() ..." % type(element).__name__)
        if (" %s " % element.tag) not in _CHILDREN.get(self.tag, " "):
            where = [p for p in _CHILDREN if (" %s " % element.tag) in _CHILDREN[p]]
            raise ValueError("<%s> cannot go inside <%s>; %s" % (
                element.tag, self.tag, "put it inside <%s>" % "> or <".join(where) if where
                else "use add_child() for TwiML this module does not check"))
        self._children.append(element)
        return element

    def add_child(self, tag, text=None, **attrs):
        """Any other TwiML (SSML inside <Say>, <Connect>, <Stream> ...), unchecked."""
        element = Element(tag, text, **attrs)
        self._children.append(element)
        return element

    # messaging
    def message(self, body=None, **attrs):
        return self.nest(Element("Message", body, **attrs))

    def body(self, message, **attrs):
        return self.nest(Element("Body", message, **attrs))

    def media(self, url, **attrs):
        return self.nest(Element("Media", url, **attrs))

    def redirect(self, url, **attrs):
        return self.nest(Element("Redirect", url, **attrs))

    # voice
    def say(self, message=None, **attrs):
        return self.nest(Element("Say", message, **attrs))

    def play(self, url=None, **attrs):
        return self.nest(Element("Play", url, **attrs))

    def pause(self, **attrs):
        return self.nest(Element("Pause", None, **attrs))

    def gather(self, **attrs):
        return self.nest(Element("Gather", None, **attrs))

    def dial(self, number=None, **attrs):
        return self.nest(Element("Dial", number, **attrs))

    def number(self, phone_number, **attrs):
        return self.nest(Element("Number", phone_number, **attrs))

    def client(self, identity=None, **attrs):
        return self.nest(Element("Client", identity, **attrs))

    def identity(self, client_identity, **attrs):
        return self.nest(Element("Identity", client_identity, **attrs))

    def parameter(self, **attrs):
        return self.nest(Element("Parameter", None, **attrs))

    def conference(self, name, **attrs):
        return self.nest(Element("Conference", name, **attrs))

    def queue(self, name, **attrs):
        return self.nest(Element("Queue", name, **attrs))

    def sip(self, sip_url, **attrs):
        return self.nest(Element("Sip", sip_url, **attrs))

    def record(self, **attrs):
        return self.nest(Element("Record", None, **attrs))

    def hangup(self, **attrs):
        return self.nest(Element("Hangup", None, **attrs))

    def reject(self, **attrs):
        return self.nest(Element("Reject", None, **attrs))

    def sms(self, message, **attrs):
        return self.nest(Element("Sms", message, **attrs))

    def enqueue(self, name=None, **attrs):
        return self.nest(Element("Enqueue", name, **attrs))

    def task(self, body, **attrs):
        return self.nest(Element("Task", body, **attrs))

    def leave(self, **attrs):
        return self.nest(Element("Leave", None, **attrs))


def Response(**attrs):  # noqa: N802 (reads like the official MessagingResponse())
    """The root of every TwiML document."""
    return Element("Response", None, **attrs)
