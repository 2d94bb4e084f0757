"""Bad input: each case must raise before any network; reports type and message."""

import devicetest
from utwilio import Twilio

a = devicetest.args()
good = {"account_sid": "AC" + "0" * 32, "auth_token": "secret", "number": "+15550000001"}
out = []
for case in a["constructor"]:
    kw = dict(good)
    kw.update(case)
    try:
        Twilio(kw.pop("account_sid"), kw.pop("auth_token"), kw.pop("number"),
               base_url=kw.pop("base_url", a["base_url"]), **kw)
        out.append(["ok", ""])
    except (TypeError, ValueError) as e:
        out.append([type(e).__name__, str(e)])
t = Twilio(good["account_sid"], "secret", a.get("from", good["number"]), base_url=a["base_url"])
for case in a["sends"]:
    try:
        t.send(case["to"], case["message"], media_url=case.get("media_url"),
               status_callback=case.get("status_callback"))
        out.append(["ok", ""])
    except (TypeError, ValueError) as e:
        out.append([type(e).__name__, str(e)])
devicetest.report(out)
