"""What keeping a console open costs the agent, and how fast it shows a change,
beside the naive way to make a page live (fetch everything once a second) measured in
the same run:

1. the time to build each page's data from the store (100 devices with a day of
   readings each: 1,000 events per device);
2. a webhook's arrival on an open page, p50/p99 (the server-sent-events stream, against
   a page fetching the JSON once a second);
3. bytes sent to one open page (gzip, both ways) in a quiet minute (nothing happens)
   and a busy one (a webhook a second to one of the devices).

The agent runs in this process (uvicorn in a thread), on SQLite (synchronous=OFF: the
figures are about the console, not fsync).

    .venv/bin/python tools/bench/bench_console.py [--quick]   (prints a Markdown table)
"""

import argparse
import asyncio
import gzip
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from utwilio import signature  # noqa: E402
from utwilio_agent.app import create_app  # noqa: E402
from utwilio_agent.config import Config, Device  # noqa: E402
from utwilio_agent.console import views  # noqa: E402
from utwilio_agent.ids import new_id  # noqa: E402
from utwilio_sandbox.server import ServerThread  # noqa: E402

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
NUMBER, OWNER = "+15005550006", "+15551234567"
AUTH = ("bench", "pw")


def agent(database, devices):
    config = Config(database=database, synchronous="OFF", dashboard_password="pw",
                    auth_token=AUTH_TOKEN, account_sid="AC" + "0" * 32, routing="prefix",
                    reply_deadline=0, acknowledgement="", log_level="warning",
                    devices={"d%d" % i: Device("d%d" % i, numbers=[NUMBER], allow=[OWNER],
                                               queue_cap=100000)
                             for i in range(devices)})
    return create_app(config)


def run(server, coroutine):
    loop = server.app.state.agent.loop
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result(600)


def fill(server, devices, per_device):
    store, now = server.app.state.agent.store, time.time()

    async def work():
        for i in range(devices):
            await asyncio.gather(*(store.add_event(
                new_id("EV"), "d%d" % i, "reading", {"temp": 20 + j % 7, "rh": 40 + j % 3},
                now - 86400 + j * 86400 / per_device) for j in range(per_device)))

    run(server, work())


def build_times(server, rounds):
    agent = server.app.state.agent
    figures = {}
    for name, make in (("every device (100 cards)", lambda: views.overview(agent)),
                       ("one device, last hour", lambda: views.device(agent, "d7", "1h")),
                       ("one device, 24 h (1,000 points a field)",
                        lambda: views.device(agent, "d7", "24h"))):
        async def timed(make=make):
            start = time.perf_counter()
            for _ in range(rounds):
                data = await make()
            return (time.perf_counter() - start) / rounds * 1000, len(json.dumps(data))

        figures[name] = run(server, timed())
    return figures


def text(url, n):
    params = {"MessageSid": "SM%032x" % n, "From": OWNER, "To": NUMBER, "Body": "d7: fan on",
              "AccountSid": "AC" + "0" * 32}
    headers = {"X-Twilio-Signature": signature.compute(AUTH_TOKEN, url + "/twilio/sms", params),
               "Content-Type": "application/x-www-form-urlencoded"}
    return httpx.post(url + "/twilio/sms", content=urlencode(params), headers=headers)


def d7(overview):
    return next(d for d in overview["devices"] if d["id"] == "d7")["last_command"]


def watch_stream(url, seconds, seen, sizes):
    """Counts the bytes of the overview's stream; notes when each command shows."""
    deadline = time.monotonic() + seconds
    with httpx.stream("GET", url + "/dashboard/live/overview", auth=AUTH, timeout=60) as r:
        for line in r.iter_lines():
            sizes[:] = [r.num_bytes_downloaded]  # as sent: gzip
            if line.startswith("data: "):
                command = d7(json.loads(line[6:]))
                if command:
                    seen.setdefault(command["id"], time.monotonic())
            if time.monotonic() > deadline:
                return


def watch_polling(url, seconds, seen, sizes):
    """The naive page: the whole JSON once a second."""
    deadline = time.monotonic() + seconds
    with httpx.Client(auth=AUTH, timeout=60) as client:
        while time.monotonic() < deadline:
            r = client.get(url + "/dashboard/api/overview")
            sizes.append(len(gzip.compress(r.content)))  # as a gzip-enabled server sends it
            command = d7(r.json())
            if command:
                seen.setdefault(command["id"], time.monotonic())
            time.sleep(1)


def minute(server, watch, seconds, busy):
    """-> (bytes sent to the page, [delays from each webhook to the page, s])."""
    seen, sizes, sent = {}, [], {}
    watcher = threading.Thread(target=watch, args=(server.url, seconds, seen, sizes))
    watcher.start()
    time.sleep(1.5)
    n = 0
    while busy and n < seconds - 3:
        n += 1
        before = time.monotonic()
        text(server.url, int(time.time() * 1000) + n)
        last = run(server, server.app.state.agent.store.overview(time.time(), 1))["commands"][0]
        sent[last.id] = before
        time.sleep(0.8 + 0.13 * (n % 5))  # webhooks at every phase of the page's second
    watcher.join()
    delays = [seen[i] - t for i, t in sent.items() if i in seen]
    return sum(sizes), delays


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="fewer readings and a shorter minute")
    a = p.parse_args()
    per_device, seconds = (100, 15) if a.quick else (1000, 60)
    with tempfile.TemporaryDirectory() as work:
        with ServerThread(agent(os.path.join(work, "agent.db"), 100)) as server:
            fill(server, 100, per_device)
            builds = build_times(server, 5 if a.quick else 20)
            quiet = {w: minute(server, w, seconds, False)[0]
                     for w in (watch_stream, watch_polling)}
            busy = {w: minute(server, w, seconds, True)
                    for w in (watch_stream, watch_polling)}
    print("| measure | console (SSE) | fetch every second |\n|---|---:|---:|")
    for name, (ms, size) in builds.items():
        print("| build the data of %s, ms (JSON bytes) | %.1f (%d) | same |" % (name, ms, size))
    for q in (50, 99):
        cut = [sorted(busy[w][1])[min(len(busy[w][1]) - 1, len(busy[w][1]) * q // 100)]
               for w in (watch_stream, watch_polling)]
        print("| webhook → open page p%d, ms | %.0f | %.0f |" % (q, cut[0] * 1000, cut[1] * 1000))
    print("| bytes to an open page in %d quiet s | %d | %d |"
          % (seconds, quiet[watch_stream], quiet[watch_polling]))
    print("| bytes to an open page in %d busy s (a webhook a second) | %d | %d |"
          % (seconds, busy[watch_stream][0], busy[watch_polling][0]))
    print("\n(%d and %d webhooks seen; median of the stream: %.0f ms)" % (
        len(busy[watch_stream][1]), len(busy[watch_polling][1]),
        statistics.median(busy[watch_stream][1]) * 1000))


if __name__ == "__main__":
    main()
