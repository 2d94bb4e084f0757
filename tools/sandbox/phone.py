"""The phone page: a browser stands in for a person's phone texting the sandbox.

It texts a number, shows the conversation with times (its own texts labelled as sent),
says why a text got no answer (no webhook, or the webhook's failure with Twilio's error
code from the debugger: 11200 for an HTTP error status, 11205 for a connection failure
or timeout), and sets the number's SMS webhook as Twilio's console does."""

from importlib.resources import files

from starlette.responses import FileResponse, HTMLResponse
from starlette.routing import Route

# The agent console's stylesheet: the demo's two pages look like one product.
STYLESHEET = files("utwilio_agent.console") / "static" / "utwilio.css"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox phone</title>
<link rel="stylesheet" href="/sandbox/utwilio.css">
<style>
 #conversation .problem { display: block; margin-top: .2rem; padding: .2rem .4rem;
   border-radius: .4rem; background: #fff3cd; color: #5c4400; font-size: .75rem; }
 #conversation .problem a { color: inherit; }
 #webhook-note { min-height: 1.2em; margin: .3rem 0; }
</style></head>
<body>
<header class="bar"><span class="brand">utwilio</span><span class="where">Sandbox phone</span>
</header>
<main class="phone">
<h1>Sandbox phone</h1>
<label class="field">This phone <input id="phone" value="+15551234567" inputmode="tel"></label>
<label class="field">Texting <select id="number"></select></label>
<form id="hook" class="compose"><input id="webhook" type="url" aria-label="SMS webhook URL"
 placeholder="SMS webhook URL, e.g. http://127.0.0.1:8020/twilio/sms">
<button id="set-webhook" type="submit">Set</button></form>
<p id="webhook-note" aria-live="polite"></p>
<ul id="conversation" class="chat panel" aria-live="polite"></ul>
<form id="compose" class="compose"><input id="body" placeholder="Text message"
 aria-label="Text message" autocomplete="off">
<button id="send" type="submit">Send</button></form>
<p id="error" class="error" role="alert"></p>
</main>
<script>
const $ = (id) => document.getElementById(id);
let shown = "";
let numbers = {};
function bare(address) { return address.replace(/^whatsapp:/, ""); }
function time(rfc2822) {
  const moment = new Date(rfc2822);
  return isNaN(moment) ? "" : moment.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
}
function showWebhook() {
  const number = numbers[$("number").value];
  if (!number) return;
  $("webhook").value = number.sms_url || "";
  $("webhook-note").textContent = number.sms_url
    ? "Webhook: " + number.sms_method + " " + number.sms_url
      + " (signed " + number.signature_algorithm + ")"
    : "No SMS webhook set: texts to " + number.phone_number + " get no answer.";
}
async function loadNumbers() {
  const listed = await (await fetch("/sandbox/numbers")).json();
  numbers = {};
  for (const number of listed.numbers) numbers[number.phone_number] = number;
}
async function load() {
  await loadNumbers();
  for (const number of Object.keys(numbers)) {
    const option = document.createElement("option");
    option.value = option.textContent = number;
    $("number").appendChild(option);
  }
  showWebhook();
  poll();
}
function problem(m) {
  const note = document.createElement("span");
  note.className = "problem";
  const error = m.webhook_error;
  note.textContent = error.code ? "Webhook failed: " + error.code + " " + error.message + " "
                                : error.message;
  if (error.more_info) {
    const link = document.createElement("a");
    link.href = error.more_info;
    link.textContent = "(Twilio error " + error.code + ")";
    note.appendChild(link);
  }
  return note;
}
async function poll() {
  try {
    const query = new URLSearchParams({phone: $("phone").value, number: $("number").value});
    const reply = await (await fetch("/sandbox/conversation?" + query)).json();
    const key = JSON.stringify(reply.messages.map(
      (m) => [m.sid, m.status, m.body, m.webhook_error && m.webhook_error.message]));
    if (key !== shown) {
      shown = key;
      $("conversation").replaceChildren(...reply.messages.map((m) => {
        const item = document.createElement("li");
        const fromPhone = bare(m.from) === $("phone").value;
        item.className = fromPhone ? "sent" : "received";
        item.dataset.sid = m.sid;
        item.dataset.status = m.status;
        item.textContent = m.body;
        const note = document.createElement("small");
        note.className = "meta";
        note.textContent = (fromPhone ? "Sent" : "Reply, " + m.status) + " · "
                           + time(m.date_created);
        item.appendChild(note);
        if (m.webhook_error) item.appendChild(problem(m));
        return item;
      }));
    }
  } finally {
    setTimeout(poll, 300);
  }
}
$("number").addEventListener("change", () => { shown = ""; showWebhook(); });
$("hook").addEventListener("submit", async (event) => {
  event.preventDefault();
  const number = $("number").value;
  const body = new URLSearchParams({SmsUrl: $("webhook").value});
  const response = await fetch("/sandbox/numbers/" + encodeURIComponent(number),
                               {method: "POST", body});
  if (response.ok) {
    numbers[number] = await response.json();
    showWebhook();
    $("error").textContent = "";
  } else {
    $("error").textContent = (await response.json()).message;
  }
});
$("compose").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!$("body").value.trim()) {
    $("error").textContent = "Type a message first: an empty text is not sent.";
    return;
  }
  const body = new URLSearchParams({From: $("phone").value, To: $("number").value,
                                    Body: $("body").value});
  const response = await fetch("/sandbox/phone/messages", {method: "POST", body});
  if (response.ok) { $("body").value = ""; $("error").textContent = ""; }
  else { $("error").textContent = (await response.json()).message; }
});
load();
</script>
</body></html>
"""


async def _page(request):
    return HTMLResponse(PAGE)


async def _stylesheet(request):
    return FileResponse(str(STYLESHEET), media_type="text/css")


def routes():
    return [Route("/sandbox/phone", _page, methods=["GET"]),
            Route("/sandbox/utwilio.css", _stylesheet, methods=["GET"])]
