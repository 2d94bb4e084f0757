"""Imports utwilio and sends one SMS; reports the result and the utwilio modules loaded.
args: base_url."""

import sys

import devicetest
import utwilio

a = devicetest.args()
t = utwilio.Twilio("AC" + "0" * 32, "secret", "+15550000001", base_url=a["base_url"])
r = t.send("+15551234567", "Greenhouse hot: 36.2C")
devicetest.report({"statuscode": r["statuscode"],
                   "modules": sorted(m for m in sys.modules if m.startswith("utwilio"))})
