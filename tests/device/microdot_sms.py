"""A microdot app answering Twilio's inbound-SMS webhook with respond(); serves
until a POST to /shutdown. args: port."""

import devicetest
from microdot import Microdot, Response
from utwilio import Twilio

a = devicetest.args()
twilio = Twilio("AC" + "0" * 32, "secret", "+15550000001", base_url="http://127.0.0.1:9")
app = Microdot()


@app.post("/sms")
async def sms(request):
    return twilio.respond(Response(), "You said: " + request.form.get("Body", ""))


@app.post("/shutdown")
async def shutdown(request):
    request.app.shutdown()
    return "bye"


print("listening")
app.run(host="127.0.0.1", port=a["port"])
