"""Calls utwilio functions named in args["calls"] and reports each result.
A call is [module, function, args, kwargs]; an argument {"bytes": text} is passed as
text.encode() (JSON has no bytes). Each result is ["ok", value] or [error name, message];
bytes results come back as {"bytes": text}."""

import devicetest


def _in(v):
    if isinstance(v, dict):
        if len(v) == 1 and "bytes" in v:
            return v["bytes"].encode()
        return {k: _in(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_in(x) for x in v]
    return v


def _out(v):
    if isinstance(v, (bytes, bytearray)):
        return {"bytes": bytes(v).decode()}
    if isinstance(v, (list, tuple)):
        return [_out(x) for x in v]
    if isinstance(v, dict):
        return {k: _out(x) for k, x in v.items()}
    return v


out = []
for module, function, args, kwargs in devicetest.args()["calls"]:
    fn = getattr(__import__("utwilio." + module, None, None, [function]), function)
    try:
        out.append(["ok", _out(fn(*_in(args), **_in(kwargs)))])
    except Exception as e:  # reported, compared by the test
        out.append([type(e).__name__, str(e)])
devicetest.report(out)
