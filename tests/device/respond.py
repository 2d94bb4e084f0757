"""respond() through each kind of response object; reports what each received."""

import devicetest
from utwilio import Twilio

a = devicetest.args()
t = Twilio("AC" + "0" * 32, "secret", "+15550000001", base_url="http://127.0.0.1:9")


class ImpResponse:
    def __init__(self):
        self.headers = []
        self.sent = None

    def header(self, name, value):
        self.headers.append([name, value])

    def send(self, code, body):
        self.sent = [code, body]


class Stream:
    def __init__(self):
        self.data = b""

    def write(self, b):
        self.data += b


out = {}
for key, message in a["messages"].items():
    imp = ImpResponse()
    t.respond(imp, message)
    stream = Stream()
    t.respond(stream, message)
    status, headers, body = t.respond(None, message)
    out[key] = {"imp": [imp.headers, imp.sent], "stream": stream.data.decode(),
                "tuple": [status, headers, body]}
devicetest.report(out)
