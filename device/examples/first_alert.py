"""The smallest useful device program: text one person that something is wrong.

Copy utwilio/ and this file to the board, with config.json beside it:
{"account_sid": "AC…", "auth_token": "…", "from": "+1…", "to": "+1…"}
TLS is verified against the roots bundled in utwilio (docs/tls.md): no other file."""

import json

from utwilio import Twilio

with open("config.json") as f:
    config = json.load(f)

twilio = Twilio(config["account_sid"], config["auth_token"], config["from"],
                base_url=config.get("base_url", "https://api.twilio.com"))
result = twilio.send(config["to"], config.get("message", "Greenhouse hot: 36.2C"))
if result["statuscode"] == 201:
    print("sent", result["sid"], result["status"])
else:
    print("not sent:", result["statuscode"], result["message"])
