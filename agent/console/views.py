"""What each page shows, as JSON-able data: the overview's device cards and recent
SMS, and a device's page (its card, plots, commands, messages, events). The page
scripts only lay this out; every text here is shown as text."""

import asyncio
import json

from . import words

EVENTS_ON_CARD = 3
RECENT = 20  # messages and actions on the overview
HISTORY = 200  # commands, messages and events on a device's page
POINTS = 5000  # events in a plot's range, newest kept
RANGES = {"15m": 900, "1h": 3600, "6h": 6 * 3600, "24h": 86400, "7d": 7 * 86400}
DEFAULT_RANGE = "1h"


def event(e):
    data = e["data"]
    if isinstance(data, dict) and data:
        text = ", ".join("%s %s" % (k, v if words.is_number(v) else
                                    json.dumps(v, ensure_ascii=False)) for k, v in data.items())
    else:
        text = "" if data is None else json.dumps(data, ensure_ascii=False)
    return {"id": e["id"], "name": e["name"], "created": e["created"], "text": text,
            "numbers": words.numbers(e["name"], data)}


def card(agent, device_id, summary, now):
    config = agent.config.devices.get(device_id)
    seen = [t for t in (agent.presence.last_seen.get(device_id), summary["last_seen"]) if t]
    last_seen = max(seen) if seen else None
    online = agent.presence.online(device_id, now) or (
        last_seen is not None and now - last_seen <= agent.config.offline_after)
    problems = []
    if device_id not in agent.tokens:
        problems.append("It has no token yet: run `utwilio-agent device add %s`." % device_id)
    if config is None:
        problems.append("It is not in the agent's configuration: nobody can text it, and "
                        "its alerts have nobody to go to.")
    last = summary["last_command"]
    per_hour = config.alerts_per_hour if config else None
    return {
        "id": device_id,
        "online": online,
        "last_seen": last_seen,
        "queued": summary["queued"],
        "last_command": words.command(last) if last else None,
        "events": [event(e) for e in summary["events"]],
        "alerts_per_hour": per_hour,
        "alerts_left": max(per_hour - summary["alerts_hour"], 0) if config else None,
        "problems": problems,
    }


def known_devices(agent):
    return sorted(set(agent.config.devices) | set(agent.tokens))


async def overview(agent):
    now = agent.clock()
    devices = known_devices(agent)
    summaries, recent, actions = await asyncio.gather(
        agent.store.device_summaries(devices, now, EVENTS_ON_CARD),
        agent.store.overview(now, RECENT),
        agent.store.actions(RECENT),
    )
    return {
        "view": "overview",
        "now": now,
        "offline_after": agent.config.offline_after,
        "devices": [card(agent, d, summaries[d], now) for d in devices],
        "messages": [words.message(m) for m in recent["messages"]],
        "actions": actions,
    }


def plots(timeline):
    """-> [{"field", "points": [[t, value]]}] per numeric field, and the marks."""
    series = {}
    for e in timeline["events"]:
        for field, value in words.numbers(e["name"], e["data"]).items():
            series.setdefault(field, []).append([e["created"], value])
    marks = [{"at": at, "kind": "alert", "label": "alert: %s" % key}
             for at, key in timeline["alerts"]]
    marks += [{"at": c.created, "kind": "command", "label": "command: %s" % c.text}
              for c in timeline["commands"]]
    return [{"field": f, "points": p} for f, p in sorted(series.items())], marks


async def device(agent, device_id, range_name):
    now = agent.clock()
    since = now - RANGES[range_name]
    summaries, history, timeline = await asyncio.gather(
        agent.store.device_summaries([device_id], now, EVENTS_ON_CARD),
        agent.store.device_history(device_id, HISTORY),
        agent.store.device_timeline(device_id, since, POINTS),
    )
    series, marks = plots(timeline)
    return {
        "view": "device",
        "now": now,
        "offline_after": agent.config.offline_after,
        "device": card(agent, device_id, summaries[device_id], now),
        "range": {"name": range_name, "since": since, "until": now},
        "plots": series,
        "marks": marks,
        "history_page": HISTORY,
        **shown(history),
    }


def shown(history):
    return {"commands": [words.command(c) for c in history["commands"]],
            "messages": [words.message(m) for m in history["messages"]],
            "events": [event(e) for e in history["events"]]}


async def older(agent, device_id, before):
    """The page of history before `before`: the device page's "Show older"."""
    return {"history_page": HISTORY,
            **shown(await agent.store.device_history(device_id, HISTORY, before))}
