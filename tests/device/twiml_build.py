"""Builds each TwiML document in args["docs"] and reports its XML (or the error).
A document is [root attrs, children]; a child is [method, text, attrs, children]
and text None calls method(**attrs)."""

import devicetest
from utwilio.twiml import Response


def add(parent, children):
    for method, text, attrs, grandchildren in children:
        fn = getattr(parent, method)
        add(fn(**attrs) if text is None else fn(text, **attrs), grandchildren)


out = []
for attrs, children in devicetest.args()["docs"]:
    try:
        r = Response(**attrs)
        add(r, children)
        out.append(["ok", str(r)])
    except Exception as e:  # reported, compared by the test
        out.append([type(e).__name__, str(e)])
devicetest.report(out)
