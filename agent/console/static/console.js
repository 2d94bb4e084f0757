"use strict";
// Lays out the JSON the agent streams (server-sent events) for this page, and sends
// the page's actions. Every text goes in as text (append/textContent), never markup.
(function () {
  const VIEW = document.body.dataset.view;
  const DEVICE = document.body.dataset.device;
  const TOKEN = document.querySelector("meta[name=csrf-token]").content;
  const main = document.getElementById("main");
  const liveNote = document.getElementById("live");
  let offset = 0; // the agent's clock minus this one, in seconds
  let data = null;
  const RANGES = ["15m", "1h", "6h", "24h", "7d"];
  let range = new URLSearchParams(location.search).get("range");
  if (!RANGES.includes(range)) range = "1h";
  let stream = null;
  let waitingFor = null; // the id of the command this page just sent

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key === "className" ? "class" : key, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  function now() { return Date.now() / 1000 + offset; }

  function ago(t) {
    const s = Math.max(0, Math.round(now() - t));
    if (s < 5) return "just now";
    if (s < 60) return `${s} s ago`;
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
    return new Date(t * 1000).toLocaleString();
  }

  function when(t) {
    if (!t) return h("span", {className: "muted"}, "never");
    const at = new Date(t * 1000);
    return h("time", {datetime: at.toISOString(), title: at.toLocaleString(), "data-at": t},
      ago(t));
  }

  function pill(text, tone, extra) {
    return h("span", {className: `pill ${tone || ""} ${extra || ""}`.trim()}, text);
  }

  function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }

  function deviceUrl(id) { return "/dashboard/devices/" + encodeURIComponent(id); }

  // Replaces a container's children, keeping the keyboard focus on the same control.
  function swap(container, children) {
    const focused = document.activeElement;
    const key = focused && container.contains(focused) ? focused.dataset.focus : null;
    container.replaceChildren(...children);
    if (key) {
      const again = container.querySelector(`[data-focus="${CSS.escape(key)}"]`);
      if (again) again.focus();
    }
  }

  // -- pieces --------------------------------------------------------------------------

  function presence(d) {
    return d.online ? pill("online", "ok", "presence") : pill("offline", "bad", "presence");
  }

  function card(d, linked) {
    const facts = [
      ["Last seen", when(d.last_seen)],
      ["Waiting", h("span", {"data-field": "queued"},
        d.queued ? plural(d.queued, "command", "commands") : "nothing")],
      ["Alerts left", d.alerts_left === null ? h("span", {className: "muted"}, "no contacts")
        : `${d.alerts_left} of ${d.alerts_per_hour} this hour`],
      ["Last command", d.last_command ? commandLine(d.last_command)
        : h("span", {className: "muted"}, "none yet")],
      ["Reported", d.events.length ? h("ul", {className: "events"}, d.events.map((e) =>
        h("li", {}, h("span", {className: "text"}, h("b", {}, e.name), " ", e.text),
          h("span", {}, when(e.created)))))
        : h("span", {className: "muted"}, "nothing yet")],
    ];
    return h("article", {className: "card panel", "data-device": d.id,
                         "aria-label": `${d.id}, ${d.online ? "online" : "offline"}`},
      h("header", {},
        h("h2", {}, linked ? h("a", {href: deviceUrl(d.id), "data-focus": "device:" + d.id}, d.id)
          : d.id), presence(d)),
      tiles(d.events),
      h("dl", {className: "facts"}, facts.map(([term, value]) => [h("dt", {}, term),
        h("dd", {}, value)])),
      d.problems.map((p) => h("p", {className: "problem"}, p)));
  }

  // The latest value of each number the device reported lately, large.
  function tiles(events) {
    const latest = new Map();
    for (const e of events) {
      for (const [field, value] of Object.entries(e.numbers)) {
        if (!latest.has(field)) latest.set(field, value);
      }
    }
    if (!latest.size) return null;
    return h("ul", {className: "tiles", "aria-label": "Latest readings"},
      [...latest].slice(0, 4).map(([field, value]) => h("li", {"data-field": field},
        h("span", {className: "value"}, utwilioFormat(value)),
        h("span", {className: "label"}, field))));
  }

  function commandLine(c) {
    return h("span", {className: "text", "data-command": c.id},
      h("span", {className: "said"}, c.text), " ", pill(c.words, c.tone),
      c.reply !== null ? h("span", {className: "reply"}, " ↳ ", c.reply) : null);
  }

  function act(path, body) {
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json",
      "X-CSRF-Token": TOKEN}, body: JSON.stringify(body || {})})
      .then(async (r) => ({ok: r.ok, body: await r.json().catch(() => ({}))}));
  }

  function commandItem(c) {
    const buttons = [];
    const say = (text) => { document.getElementById("notice").textContent = text; };
    if (c.can_cancel) {
      buttons.push(h("button", {type: "button", className: "quiet", "data-focus": "act:" + c.id,
        "aria-label": `Cancel “${c.text}”`,
        onclick: async () => {
          const r = await act(`/dashboard/api/commands/${encodeURIComponent(c.id)}/cancel`);
          say(r.ok ? `Canceled “${c.text}”.` : r.body.error);
        }}, "Cancel"));
    }
    if (c.can_retry) {
      buttons.push(h("button", {type: "button", className: "quiet", "data-focus": "act:" + c.id,
        "aria-label": `Send “${c.text}” again`,
        onclick: async () => {
          const r = await act(`/dashboard/api/commands/${encodeURIComponent(c.id)}/retry`);
          say(r.ok ? `Sent “${c.text}” again.` : r.body.error);
          if (r.ok) { waitingFor = r.body.command.id; announce(); }
        }}, "Send again"));
    }
    return h("li", {"data-command": c.id, "data-state": c.tone},
      h("div", {className: "row-head"}, h("span", {className: "said text"}, c.text),
        pill(c.words, c.tone, "state"), h("span", {className: "when"}, when(c.created))),
      h("small", {}, "from ", c.from),
      c.reply !== null ? h("div", {className: "reply text"}, c.reply,
        c.reply_how ? h("small", {}, ` (${c.reply_how})`) : null) : null,
      buttons.length ? h("div", {}, buttons) : null);
  }

  function messageItem(m) {
    const error = m.error ? h("p", {className: "error"}, m.error.meaning,
      m.error.code ? [` (error ${m.error.code}) `, h("a", {href: m.error.url,
        target: "_blank", rel: "noopener", "data-focus": "error:" + m.id},
        "What Twilio says")] : null) : null;
    return h("li", {"data-message": m.id},
      h("div", {className: "row-head"},
        h("span", {}, h("b", {}, m.kind[0].toUpperCase() + m.kind.slice(1)), " to ", m.to,
          VIEW === "overview" && m.device ? [" for ", h("a", {href: deviceUrl(m.device),
            "data-focus": "message:" + m.id}, m.device)] : null),
        pill(m.words, m.tone, "status"), h("span", {className: "when"}, when(m.created))),
      h("div", {className: "text"}, m.body),
      m.steps.length ? h("ol", {className: "steps", "aria-label": "delivery"},
        m.steps.map((s) => h("li", {className: s.state}, s.name))) : null,
      error);
  }

  function list(items, render, empty) {
    return items.length ? h("ul", {className: "rows"}, items.map(render))
      : h("p", {className: "empty"}, empty);
  }

  function section(title, ...content) {
    return h("section", {className: "panel", "aria-label": title}, h("h2", {}, title), content);
  }

  // -- the overview ----------------------------------------------------------------------

  function overview() {
    document.title = "Devices · utwilio";
    swap(main, [
      h("h1", {}, "Devices"),
      data.devices.length ? h("div", {className: "cards"}, data.devices.map((d) => card(d, true)))
        : h("p", {className: "empty"}, "No devices yet: add one with `utwilio-agent device add NAME`."),
      h("div", {className: "columns"},
        section("Text messages sent", list(data.messages, messageItem, "None yet.")),
        section("Actions on this console", list(data.actions, (a) => h("li", {},
          h("div", {className: "row-head"}, h("span", {}, h("b", {}, a.who), " ", a.action,
            a.device ? [" for ", a.device] : null), h("span", {className: "when"}, when(a.at))),
          h("div", {className: "text"}, a.detail)), "Nothing yet."))),
    ]);
  }

  // -- a device's page ---------------------------------------------------------------------

  let parts = null;
  let allEvents = false;
  const FEW = 12;
  // Pages of history older than the stream's (newest) page, fetched on demand.
  const older = {commands: [], messages: [], events: []};
  const full = {commands: null, messages: null, events: null}; // the last page was full

  function historyOf(kind) {
    const seen = new Set(data[kind].map((item) => item.id));
    return data[kind].concat(older[kind].filter((item) => !seen.has(item.id)));
  }

  function olderButton(kind) {
    const items = historyOf(kind);
    const more = full[kind] === null ? data[kind].length >= data.history_page : full[kind];
    if (!more || !items.length) return null;
    return h("button", {type: "button", className: "quiet more", "data-focus": "older:" + kind,
      onclick: async () => {
        const before = Math.min(...items.map((item) => item.created));
        const r = await fetch(`/dashboard/api/devices/${encodeURIComponent(DEVICE)}/history` +
          `?before=${before}`);
        const page = await r.json();
        older[kind] = older[kind].concat(page[kind]);
        full[kind] = page[kind].length >= page.history_page;
        devicePage();
      }}, "Show older");
  }

  function skeleton() {
    const input = h("input", {id: "command", name: "text", autocomplete: "off",
      placeholder: "fan on", maxlength: 1600, required: true});
    const form = h("form", {className: "compose", onsubmit: async (event) => {
      event.preventDefault();
      const text = input.value;
      const r = await act(`/dashboard/api/devices/${encodeURIComponent(DEVICE)}/commands`,
        {text});
      const notice = document.getElementById("notice");
      if (r.ok) {
        waitingFor = r.body.command.id;
        input.value = "";
        notice.textContent = `Sent “${text}”. Waiting for ${DEVICE} to answer…`;
        announce();  // the answer may have come with an update before this response
      } else {
        notice.textContent = r.body.error || "The agent refused the command.";
      }
    }}, input, h("button", {type: "submit"}, "Send"));
    const ranges = h("div", {className: "ranges", role: "group", "aria-label": "Time range"},
      RANGES.map((name) => h("button", {type: "button",
        "data-range": name, "aria-pressed": String(name === range), onclick: () => {
          range = name;
          history.replaceState(null, "", "?range=" + name);
          for (const b of ranges.children) {
            b.setAttribute("aria-pressed", String(b.dataset.range === name));
          }
          connect();
        }}, name)));
    parts = {
      card: h("div", {}),
      plots: h("div", {className: "plots", "aria-live": "off"}),
      commands: h("div", {}), messages: h("div", {}), events: h("div", {}),
    };
    main.replaceChildren(
      h("p", {}, h("a", {href: "/dashboard"}, "← All devices")),
      h("section", {}, parts.card),
      h("section", {className: "panel", "aria-label": "Send a command"},
        h("label", {for: "command"}, `Send a command to ${DEVICE}`),
        h("p", {className: "muted"}, "As if texted: the device runs it and answers here."),
        form, h("p", {id: "notice", className: "notice", role: "status", "aria-live": "polite"})),
      h("section", {className: "panel", "aria-label": "Plots"},
        h("div", {className: "toolbar"}, h("h2", {}, `What ${DEVICE} reports`), ranges),
        h("div", {className: "legend"}, h("span", {className: "alert"}, "alert"),
          h("span", {className: "command"}, "command")),
        parts.plots),
      h("div", {className: "columns"},
        section("Commands", parts.commands),
        section("Text messages sent", parts.messages),
        section("Reported", parts.events)));
  }

  function drawPlots() {
    const {since, until} = data.range;
    const span = until - since;
    const end = now(), start = end - span;
    if (!data.plots.length) {
      swap(parts.plots, [h("p", {className: "empty"}, "No numbers reported in this range. " +
        "A device reports them with link.send(\"reading\", {\"temp\": 21.5}).")]);
      return;
    }
    swap(parts.plots, data.plots.map((p) => {
      const figure = h("figure", {className: "plot panel", "data-field": p.field});
      const last = p.points[p.points.length - 1];
      figure.append(h("figcaption", {}, h("span", {}, p.field),
        h("span", {className: "latest"}, last ? utwilioFormat(last[1]) : "")));
      return figure;
    }));
    for (const figure of parts.plots.children) {
      const p = data.plots.find((q) => q.field === figure.dataset.field);
      const width = figure.clientWidth - 2 * parseFloat(getComputedStyle(figure).paddingLeft);
      figure.append(utwilioPlot(p.field, p.points, data.marks, start, end, width, 176));
    }
  }

  function devicePage() {
    if (!parts) skeleton();
    document.title = `${DEVICE} · utwilio`;
    swap(parts.card, [card(data.device, false)]);
    drawPlots();
    swap(parts.commands, [list(historyOf("commands"), commandItem, "No commands yet."),
      olderButton("commands")]);
    swap(parts.messages, [list(historyOf("messages"), messageItem, "None yet."),
      olderButton("messages")]);
    const events = historyOf("events");
    const shown = allEvents ? events : events.slice(0, FEW);
    swap(parts.events, [shown.length ? h("ul", {className: "events"},
      shown.map((e) => h("li", {"data-event": e.id}, h("span", {className: "text"},
        h("b", {}, e.name), " ", e.text), h("span", {}, when(e.created)))))
      : h("p", {className: "empty"}, "Nothing yet."),
      shown.length < events.length ? h("button", {type: "button", className: "quiet more",
        "data-focus": "more", onclick: () => { allEvents = true; devicePage(); }},
        `Show all ${events.length}`) : olderButton("events")]);
    announce();
  }

  // Says how the command this page sent ended, once it has.
  function announce() {
    const mine = data.commands.find((c) => c.id === waitingFor);
    if (mine && mine.tone !== "wait") {
      document.getElementById("notice").textContent = mine.reply !== null
        ? `${DEVICE} answered “${mine.text}”: ${mine.reply}` : `“${mine.text}”: ${mine.words}.`;
      waitingFor = null;
    }
  }

  function render() {
    if (VIEW === "device") devicePage(); else overview();
  }

  // -- the stream --------------------------------------------------------------------------

  // Told to screen readers only when it changes (it is a status region).
  function showLive(on) {
    const text = on ? "live" : "reconnecting…";
    if (liveNote.textContent !== text) liveNote.textContent = text;
    liveNote.className = on ? "live on" : "live off";
  }

  function connect() {
    if (stream) stream.close();
    const url = VIEW === "device"
      ? `/dashboard/live/devices/${encodeURIComponent(DEVICE)}?range=${encodeURIComponent(range)}`
      : "/dashboard/live/overview";
    stream = new EventSource(url);
    stream.onopen = () => showLive(true);
    stream.onerror = () => showLive(false);
    stream.onmessage = (message) => {
      data = JSON.parse(message.data);
      offset = data.now - Date.now() / 1000;
      showLive(true);
      render();
      document.body.dataset.updated = String(Number(document.body.dataset.updated || 0) + 1);
    };
  }

  setInterval(() => {
    for (const node of document.querySelectorAll("time[data-at]")) {
      node.textContent = ago(Number(node.dataset.at));
    }
  }, 1000);
  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => { if (data && VIEW === "device") drawPlots(); }, 150);
  });
  connect();
})();
