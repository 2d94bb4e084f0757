"""The phone page: a browser stands in for a person's phone texting the sandbox."""

from starlette.responses import HTMLResponse
from starlette.routing import Route

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox phone</title>
<style>
 body { font: 16px system-ui, sans-serif; max-width: 28rem; margin: 1rem auto; }
 label { display: block; margin: .3rem 0; }
 #conversation { list-style: none; padding: 0; min-height: 12rem; border: 1px solid #ccc;
   border-radius: .5rem; padding: .5rem; }
 #conversation li { margin: .3rem 0; padding: .4rem .6rem; border-radius: .8rem;
   max-width: 80%; white-space: pre-wrap; }
 #conversation li.sent { background: #0b84ff; color: white; margin-left: auto; }
 #conversation li.received { background: #e5e5ea; }
 #conversation small { display: block; opacity: .7; font-size: .7rem; }
 form { display: flex; gap: .5rem; margin-top: .5rem; } #body { flex: 1; }
</style></head>
<body>
<h1>Sandbox phone</h1>
<label>This phone <input id="phone" value="+15551234567"></label>
<label>Texting <select id="number"></select></label>
<ul id="conversation" aria-live="polite"></ul>
<form id="compose"><input id="body" placeholder="Text message" autocomplete="off">
<button id="send" type="submit">Send</button></form>
<p id="error" role="alert"></p>
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


def routes():
    return [Route("/sandbox/phone", _page, methods=["GET"])]
