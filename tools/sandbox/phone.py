"""The phone page: a browser stands in for a person's phone texting the sandbox."""

from importlib.resources import files

from starlette.responses import FileResponse, HTMLResponse
from starlette.routing import Route

# The agent console's stylesheet: the demo's two pages look like one product.
STYLESHEET = files("utwilio_agent.console") / "static" / "utwilio.css"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox phone</title>
<link rel="stylesheet" href="/sandbox/utwilio.css"></head>
<body>
<header class="bar"><span class="brand">utwilio</span><span class="where">Sandbox phone</span>
</header>
<main class="phone">
<h1>Sandbox phone</h1>
<label class="field">This phone <input id="phone" value="+15551234567"></label>
<label class="field">Texting <select id="number"></select></label>
<ul id="conversation" class="chat panel" aria-live="polite"></ul>
<form id="compose" class="compose"><input id="body" placeholder="Text message"
 aria-label="Text message" autocomplete="off">
<button id="send" type="submit">Send</button></form>
<p id="error" class="error" role="alert"></p>
</main>
<script>
const $ = (id) => document.getElementById(id);
let shown = "";
function bare(address) { return address.replace(/^whatsapp:/, ""); }
async function load() {
  const info = await (await fetch("/sandbox/info")).json();
  for (const number of info.numbers) {
    const option = document.createElement("option");
    option.value = option.textContent = number;
    $("number").appendChild(option);
  }
  poll();
}
async function poll() {
  try {
    const query = new URLSearchParams({phone: $("phone").value, number: $("number").value});
    const reply = await (await fetch("/sandbox/conversation?" + query)).json();
    const key = JSON.stringify(reply.messages.map((m) => [m.sid, m.status, m.body]));
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
        note.textContent = m.status;
        item.appendChild(note);
        return item;
      }));
    }
  } finally {
    setTimeout(poll, 300);
  }
}
$("compose").addEventListener("submit", async (event) => {
  event.preventDefault();
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
