"""Runs REST calls written as Python expressions and reports what each gave back.

args: client (keyword arguments of rest.Client; "ca" is the path of a DER file),
imports (names of more utwilio modules to have at hand),
ops: [{"do": "c.messages.fetch(m['sid'])", "as": "m"}…] evaluated in order with `c`
the client, `rest` and `creds` the modules, and each "as" name bound to its value.
A TwilioError or any other exception is reported, not raised."""

import devicetest
from utwilio import creds, rest
from utwilio.errors import TwilioError

a = devicetest.args()
options = dict(a.get("client") or {})
ca = options.pop("ca", None)
if ca:
    with open(ca, "rb") as f:
        options["cadata"] = f.read()
ns = {"rest": rest, "creds": creds, "TwilioError": TwilioError}
for name in a.get("imports", ()):  # more utwilio modules, e.g. "twiml"
    exec("from utwilio import " + name, ns)
if "client" in a:
    ns["c"] = rest.Client(**options)


def plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(value[k]) for k in value}
    return repr(value)


out = []
for op in a["ops"]:
    try:
        value = eval(op["do"], ns)
        if op.get("as"):
            ns[op["as"]] = value
        out.append(plain(value))
    except TwilioError as e:
        out.append({"raised": "TwilioError", "status": e.status, "code": e.code,
                    "message": e.message, "more_info": e.more_info, "text": str(e)})
    except Exception as e:
        out.append({"raised": type(e).__name__, "message": str(e)})
devicetest.report(out)
