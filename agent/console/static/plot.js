"use strict";
// One numeric field over time, drawn as SVG: its line and points over the chosen
// range, the value and time axes, and dashed marks where alerts and commands happened.
// Our own 100 lines instead of a charting library: the agent serves it from its
// Python package, offline, with nothing to build.
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const M = {left: 46, right: 12, top: 10, bottom: 24};

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function niceStep(span, count) {
    const raw = span / count;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const unit = raw / power;
    return power * (unit < 1.5 ? 1 : unit < 3 ? 2 : unit < 7 ? 5 : 10);
  }

  function valueTicks(lo, hi) {
    const step = niceStep(hi - lo, 4);
    const ticks = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step / 1e6; v += step) {
      ticks.push(Number(v.toPrecision(12)));
    }
    return ticks;
  }

  const TIME_STEPS = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

  function timeTicks(since, until, count) {
    const step = TIME_STEPS.find((s) => (until - since) / s <= count) || 86400;
    const zone = new Date().getTimezoneOffset() * 60;
    const ticks = [];
    for (let t = Math.ceil((since - zone) / step) * step + zone; t <= until; t += step) {
      ticks.push(t);
    }
    return {ticks, step};
  }

  function timeLabel(t, step) {
    const d = new Date(t * 1000);
    const hm = d.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
    return step >= 86400 ? d.toLocaleDateString([], {month: "short", day: "numeric"}) : hm;
  }

  function format(v) {
    return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v * 100) / 100)
      : v.toPrecision(3).replace(/\.?0+$/, "");
  }

  // -> an <svg> of `points` ([[unix s, value]]) from `since` to `until`, `width` px wide.
  window.utwilioPlot = function (field, points, marks, since, until, width, height) {
    const shown = points.filter(([t]) => t >= since && t <= until);
    const values = shown.map(([, v]) => v);
    let lo = Math.min(...values), hi = Math.max(...values);
    if (!values.length) { lo = 0; hi = 1; }
    if (lo === hi) { lo -= 1; hi += 1; }
    const pad = (hi - lo) * 0.08;
    lo -= pad; hi += pad;
    const w = Math.max(width, 200), h = height;
    const x = (t) => M.left + (t - since) / (until - since) * (w - M.left - M.right);
    const y = (v) => M.top + (hi - v) / (hi - lo) * (h - M.top - M.bottom);
    const last = shown[shown.length - 1];
    const svg = el("svg", {viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: "img",
      "aria-label": values.length ? `${field}: ${values.length} readings from ` +
        `${format(Math.min(...values))} to ${format(Math.max(...values))}, latest ` +
        `${format(last[1])}` : `${field}: no readings in this range`});
    for (const v of valueTicks(lo, hi)) {
      svg.append(el("line", {class: "axis", x1: M.left, x2: w - M.right, y1: y(v), y2: y(v)}));
      svg.append(el("text", {class: "tick", x: M.left - 6, y: y(v) + 4, "text-anchor": "end"},
        format(v)));
    }
    const {ticks, step} = timeTicks(since, until, Math.max(2, Math.floor(w / 90)));
    for (const t of ticks) {
      svg.append(el("text", {class: "tick", x: x(t), y: h - 6, "text-anchor": "middle"},
        timeLabel(t, step)));
    }
    for (const mark of marks) {
      if (mark.at < since || mark.at > until) continue;
      const line = el("line", {class: "mark-" + mark.kind, x1: x(mark.at), x2: x(mark.at),
        y1: M.top, y2: h - M.bottom, "data-kind": mark.kind});
      line.append(el("title", {}, mark.label));
      svg.append(line);
    }
    if (shown.length) {
      const path = shown.map(([t, v], i) => `${i ? "L" : "M"}${x(t).toFixed(1)} ` +
        `${y(v).toFixed(1)}`).join("");
      const base = (h - M.bottom).toFixed(1);
      svg.append(el("path", {class: "area", d: `${path}L${x(last[0]).toFixed(1)} ${base}` +
        `L${x(shown[0][0]).toFixed(1)} ${base}Z`}));
      svg.append(el("path", {class: "line", d: path}));
      const dots = shown.length <= 60 ? shown : [last];
      for (const [t, v] of dots) {
        const dot = el("circle", {class: "dot", cx: x(t), cy: y(v), r: 3});
        dot.append(el("title", {}, `${format(v)} at ${new Date(t * 1000).toLocaleString()}`));
        svg.append(dot);
      }
    }
    return svg;
  };
  window.utwilioFormat = format;
})();
