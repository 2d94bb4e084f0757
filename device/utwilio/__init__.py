"""Twilio SMS for MicroPython: `Twilio(sid, token, number).send(to, message)`.

The face of Electric Imp's Twilio library. This file stays cheap because every
`utwilio.x` import runs it first: `Twilio`, `Api`, `result` and `API` live in
utwilio.twilio and load on first use (a module `__getattr__`, PEP 562), so a device
that only runs the agent link never holds the send path in RAM."""

from utwilio.errors import TwilioError as TwilioError  # the face; free: the link loads it too

__version__ = "0.1.0"

_LAZY = ("Twilio", "Api", "result", "API")


def __getattr__(name):
    if name[:1] == "_":
        raise AttributeError(name)
    if name in _LAZY:  # not kept here: a bigger globals dict costs the send path ~400 B
        __import__("utwilio.twilio")
        return getattr(globals()["twilio"], name)
    # MicroPython asks this hook before it tries a submodule for `from utwilio import x`,
    # and an AttributeError here would end that import: import the submodule ourselves.
    __import__("utwilio." + name)
    return globals()[name]
