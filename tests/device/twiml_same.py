"""One TwiML writer: reply.twiml(m) beside twiml.Response().message(m) for each message
in args["messages"] (None and "" beside an empty Response())."""

import devicetest
from utwilio.reply import twiml
from utwilio.twiml import Response

out = []
for m in devicetest.args()["messages"]:
    r = Response()
    if m:
        r.message(m)
    out.append([twiml(m), str(r)])
devicetest.report(out)
