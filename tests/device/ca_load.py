"""Loads the CAs the way the first HTTPS request does, and reports what happened.
args: cadata: None (bundled roots + ca.der), a file name, a list of file names,
or {"str": text} to pass a str; cwd may hold a ca.der."""

import devicetest
from utwilio import ca

a = devicetest.args()


def read(name):
    with open(name, "rb") as f:
        return f.read()


given = a.get("cadata")
if isinstance(given, dict):
    cadata = given["str"]
elif isinstance(given, list):
    cadata = [read(n) for n in given]
elif given:
    cadata = read(given)
else:
    cadata = None
try:
    ders = ca.certificates(cadata)
    ca.context(cadata, True)
    devicetest.report({"loaded": len(ders), "sizes": [len(d) for d in ders]})
except Exception as e:
    devicetest.report({"error": type(e).__name__, "message": str(e)})
