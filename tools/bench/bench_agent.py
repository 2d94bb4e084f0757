"""The agent's speed, each figure beside a bare hello-world endpoint served by the same
ASGI server (uvicorn, same settings) in the same run:

1. signed inbound-SMS webhooks accepted durably (committed: SQLite synchronous=FULL,
   PostgreSQL fsync on) per second, by one agent on SQLite, one and two agents on
   PostgreSQL, against POSTs to the hello-world endpoint;
2. webhook-to-device latency p50/p99 at a steady rate (a device long-polls and acks),
   against the hello-world request latency at the same rate; on PostgreSQL with the
   webhooks going to one agent and the poll held by the other (the NOTIFY wake-up);
3. idle long-poll connections held per GB of RSS (each an authenticated device
   waiting on its own queue), against idle requests held by the hello-world server.

Server and load generator are separate processes (the machine has 2 cores); the load
generator speaks raw HTTP/1.1 over asyncio streams so that it is not the bottleneck.
PostgreSQL is a throwaway server (tests/pgserver.py) on the same machine.

    .venv/bin/python tools/bench/bench_agent.py [--quick]   (prints a Markdown table)
"""

import argparse
import asyncio
import os
import platform
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))  # pgserver.py
ACCOUNT_SID = "AC00000000000000000000000000000001"
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
NUMBER = "+15005550006"
OWNER = "+15551234567"
FD_WANTED = 50000

CONFIG = """
[agent]
public_url = "http://127.0.0.1:%(public_port)d"
database = "%(database)s"
routing = "prefix"
reply_deadline = %(deadline)s
log_level = "warning"
max_wait = 600

[twilio]
base_url = "http://127.0.0.1:9"
number = "%(number)s"

%(devices)s"""
DEVICES = 100  # webhooks go to d0 … d99 ("d7: fan on"), each with the default queue cap


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (FD_WANTED, max(hard, FD_WANTED)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the servers ---------------------------------------------------------------------


def serve_hello(port):
    """The baseline: Starlette + uvicorn, a POST that reads its body and says hi, and
    a GET that holds the request like a long-poll."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(request):
        await request.body()
        return PlainTextResponse("hi")

    async def hold(request):
        await asyncio.sleep(float(request.query_params.get("wait", "25")))
        return PlainTextResponse("[]")

    app = Starlette(routes=[Route("/hello", hello, methods=["POST"]),
                            Route("/hold", hold, methods=["GET"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, log_level="warning",
                access_log=False, backlog=4096)


class Server:
    def __init__(self, args, env=None):
        self.args = args
        self.env = dict(os.environ, **(env or {}))
        self.process = None

    def start(self, port):
        self.process = subprocess.Popen(self.args, env=self.env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start: %r" % self.args)

    def cpu(self):
        """CPU seconds (user + system) the server process has used."""
        with open("/proc/%d/stat" % self.process.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss(self):
        with open("/proc/%d/status" % self.process.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def stop(self, kill=False):
        if kill:
            self.process.kill()
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def hello_server(port):
    return Server([sys.executable, __file__, "--serve-hello", str(port)]).start(port)


def agent_server(folder, port, deadline=0, database="agent.db", public_port=None):
    """The agent (`utwilio-agent serve`) on `database` (a SQLite file in `folder`, or a
    PostgreSQL URL). Agents behind one load balancer share its public URL (the URL
    Twilio signs): `public_port`."""
    config = Path(folder) / ("agent-%d.toml" % port)
    # A queue deep enough that a device slowed by a busy machine is never refused.
    devices = "".join('[devices.d%d]\nallow = ["%s"]\nqueue_cap = 100000\n' % (i, OWNER)
                      for i in range(DEVICES))
    config.write_text(CONFIG % {"port": port, "number": NUMBER, "owner": OWNER,
                                "deadline": deadline, "devices": devices,
                                "database": database, "public_port": public_port or port})
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
    args = [sys.executable, "-m", "utwilio_agent", "--config", str(config), "serve",
            "--port", str(port)]
    return Server(args, env).start(port)


def fresh_database(folder):
    for name in os.listdir(folder):
        if name.startswith("agent.db"):
            os.unlink(os.path.join(folder, name))


def add_devices(database, names):
    """Devices into the agent's database (a SQLite path or a PostgreSQL URL), through
    the agent's store -> their tokens."""
    from utwilio_agent.config import Config
    from utwilio_agent.store import for_config
    from utwilio_agent.tokens import token_hash

    tokens = [secrets.token_urlsafe(32) for _ in names]

    async def put():
        store = for_config(Config(database=database))
        await store.open()
        for name, token in zip(names, tokens, strict=True):
            await store.put_device(name, token_hash(token), time.time())
        await store.close()

    asyncio.run(put())
    return tokens


# -- the load generator -----------------------------------------------------------------


class Conn:
    """One keep-alive HTTP/1.1 connection; requests are prebuilt bytes."""

    def __init__(self, port, reader, writer):
        self.port, self.reader, self.writer = port, reader, writer

    @classmethod
    async def open(cls, port):
        return cls(port, *await asyncio.open_connection("127.0.0.1", port))

    async def request(self, data):
        """Sends one request; if the server had closed the idle connection (its
        keep-alive timeout) before reading it, reconnects and sends it again."""
        self.writer.write(data)
        try:
            return await self.response()
        except asyncio.IncompleteReadError as error:
            if error.partial:
                raise
        self.writer.close()
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(data)
        return await self.response()

    async def response(self):
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"content-length:")
        length = int(lower[at + 15:lower.find(b"\r\n", at)]) if at >= 0 else 0
        return status, await self.reader.readexactly(length)

    def close(self):
        self.writer.close()


def http_request(method, port, path, headers=(), body=b""):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1:%d" % port]
    lines += ["%s: %s" % kv for kv in headers]
    if body or method == "POST":
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def signed_webhook(port, text, sid=None):
    from utwilio import signature

    sid = sid or "SM" + secrets.token_hex(16)
    params = [("MessageSid", sid), ("SmsSid", sid), ("AccountSid", ACCOUNT_SID),
              ("From", OWNER), ("To", NUMBER), ("Body", text), ("NumMedia", "0")]
    url = "http://127.0.0.1:%d/twilio/sms" % port
    headers = [("Content-Type", "application/x-www-form-urlencoded"),
               ("X-Twilio-Signature", signature.compute(AUTH_TOKEN, url, params)),
               ("I-Twilio-Idempotency-Token", secrets.token_hex(16))]
    return http_request("POST", port, "/twilio/sms", headers, urlencode(params).encode())


async def throughput(port, requests, connections, ports=None):
    """-> requests answered 2xx per second, with `connections` in parallel (spread over
    `ports` in turn when given: several agents behind one load)."""
    ports = ports or [port]
    conns = [await Conn.open(ports[i % len(ports)]) for i in range(connections)]
    pending = list(reversed(requests))
    ok = 0

    async def worker(conn):
        nonlocal ok
        while pending:
            status, _ = await conn.request(pending.pop())
            ok += 200 <= status < 300

    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - start
    for c in conns:
        c.close()
    assert ok == len(requests), "only %d of %d answered 2xx" % (ok, len(requests))
    return len(requests) / elapsed


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def steady(rate, count, send_one):
    """Starts `send_one(i)` every 1/rate s (no waiting for answers), -> their tasks."""
    start = time.perf_counter()
    tasks = []
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send_one(i)))
    return await asyncio.gather(*tasks)


async def pool_send(pool, data):
    conn = pool.pop(0) if pool else None  # oldest first: every connection stays warm
    if conn is None:
        raise RuntimeError("connection pool exhausted: raise its size")
    try:
        return await conn.request(data)
    finally:
        pool.append(conn)


async def hello_latency(port, rate, count):
    pool = [await Conn.open(port) for _ in range(64)]
    request = http_request("POST", port, "/hello", [("Content-Type", "text/plain")], b"x" * 300)

    async def one(i):
        t = time.perf_counter()
        await pool_send(pool, request)
        return time.perf_counter() - t

    latencies = await steady(rate, count, one)
    for c in pool:
        c.close()
    return latencies


async def device_latency(port, token, rate, count, poll_port=None):
    """Webhooks at `rate`/s; one device long-polls (at `poll_port`: another agent) and
    acks: -> seconds from the start of each webhook to the command's arrival at the
    device."""
    pool = [await Conn.open(port) for _ in range(64)]
    webhooks = [signed_webhook(port, "d0: cmd %d" % i) for i in range(count)]
    sent_at = {}
    latencies = []
    auth = [("Authorization", "Bearer " + token)]
    port = poll_port or port
    poll_conn = await Conn.open(port)
    ack_conn = await Conn.open(port)

    async def device():
        import json

        while len(latencies) < count:
            status, body = await poll_conn.request(
                http_request("GET", port, "/link/v1/devices/d0/commands?wait=25", auth))
            now = time.perf_counter()
            for cmd in json.loads(body)["commands"]:
                latencies.append(now - sent_at["d0: " + cmd["text"]])
                await ack_conn.request(http_request(
                    "POST", port, "/link/v1/devices/d0/commands/%s/ack" % cmd["id"],
                    auth + [("Content-Type", "application/json")], b'{"reply": null}'))

    async def one(i):
        sent_at["d0: cmd %d" % i] = time.perf_counter()
        status, _ = await pool_send(pool, webhooks[i])
        assert status == 200

    polling = asyncio.create_task(device())
    await asyncio.sleep(0.2)
    await steady(rate, count, one)
    await asyncio.wait_for(polling, 60)
    for c in pool + [poll_conn, ack_conn]:
        c.close()
    return latencies


async def hold_idle(port, requests, settle):
    """Opens one connection per request and leaves each waiting -> the connections."""
    conns = []
    for i in range(0, len(requests), 500):
        batch = await asyncio.gather(*(Conn.open(port) for _ in requests[i:i + 500]))
        for conn, data in zip(batch, requests[i:i + 500], strict=True):
            conn.writer.write(data)
        conns += batch
        await asyncio.sleep(0.05)
    await asyncio.sleep(settle)
    return conns


def idle_rss(server, port, requests):
    """RSS of `server` before and while holding every request of `requests` idle."""
    async def run():
        await asyncio.sleep(1.0)
        before = server.rss()
        conns = await hold_idle(port, requests, settle=3.0)
        during = server.rss()
        answered = sum(1 for c in conns if c.reader.at_eof() or c.reader._buffer)
        for c in conns:
            c.close()
        return before, during, answered

    return asyncio.run(run())


# -- the run ----------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve-hello", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="smaller counts (a smoke run)")
    args = parser.parse_args()
    if args.serve_hello:
        return serve_hello(args.serve_hello)
    fds = raise_fd_limit()
    burst, rate, seconds = (1000, 50, 4) if args.quick else (5000, 100, 20)
    idle = min(2000 if args.quick else 20000, fds - 200)
    rows = []

    from pgserver import PgServer

    with tempfile.TemporaryDirectory() as folder, PgServer(durable=True) as pg:
        sqlite = str(Path(folder) / "agent.db")
        pg_version = pg.psql("SHOW server_version").split()[0]
        # 1. durable webhooks per second
        port = free_port()
        hello = hello_server(port)
        cpu = hello.cpu()
        hello_rps = asyncio.run(throughput(port, [http_request(
            "POST", port, "/hello", [("Content-Type", "text/plain")], b"x" * 300)] * burst, 32))
        hello_cpu = (hello.cpu() - cpu) / burst
        hello_lat = asyncio.run(hello_latency(port, rate, rate * seconds))
        before, during, _ = idle_rss(hello, port, [
            http_request("GET", port, "/hold?wait=600")] * idle)
        hello.stop(kill=True)  # its held requests would hold a graceful shutdown
        hello_idle_per_gb = idle * 2**30 / max(during - before, 1)

        def accepted_per_s(agents, database):
            ports = [free_port() for _ in range(agents)]
            servers = [agent_server(folder, p, database=database, public_port=ports[0])
                       for p in ports]
            webhooks = [signed_webhook(ports[0], "d%d: fan on" % (i % DEVICES))
                        for i in range(burst)]
            cpu = sum(server.cpu() for server in servers)
            rps = asyncio.run(throughput(ports[0], webhooks, 32, ports))
            cpu = (sum(server.cpu() for server in servers) - cpu) / burst
            for server in servers:
                server.stop()
            return rps, cpu

        agent_rps, agent_cpu = accepted_per_s(1, sqlite)
        pg1_rps, pg1_cpu = accepted_per_s(1, pg.create_database("bench1"))
        pg2_rps, pg2_cpu = accepted_per_s(2, pg.create_database("bench2"))

        # 2. webhook -> device latency at a steady rate
        port = free_port()
        fresh_database(folder)
        (token,) = add_devices(sqlite, ["d0"])
        agent = agent_server(folder, port)
        agent_lat = asyncio.run(device_latency(port, token, rate, rate * seconds))
        agent.stop()
        database = pg.create_database("bench3")
        (token,) = add_devices(database, ["d0"])
        ports = [free_port(), free_port()]
        agents = [agent_server(folder, p, database=database, public_port=ports[0])
                  for p in ports]
        pg_lat = asyncio.run(device_latency(ports[0], token, rate, rate * seconds, ports[1]))
        for agent in agents:
            agent.stop()

        # 3. idle long-polls per GB of RSS, each a device of its own
        fresh_database(folder)
        tokens = add_devices(sqlite, ["d%d" % i for i in range(idle)])
        port = free_port()
        agent = agent_server(folder, port)
        polls = [http_request("GET", port, "/link/v1/devices/d%d/commands?wait=600" % i,
                              [("Authorization", "Bearer " + t)]) for i, t in enumerate(tokens)]
        a_before, a_during, answered = idle_rss(agent, port, polls)
        agent.stop()
        agent_idle_per_gb = idle * 2**30 / max(a_during - a_before, 1)

    ms = 1000
    rows.append(("signed webhooks accepted durably, req/s (%d to %d devices, 32 connections): "
                 "1 agent, SQLite" % (burst, DEVICES),
                 "%.0f (%.2f×)" % (agent_rps, agent_rps / hello_rps), "%.0f" % hello_rps))
    rows.append(("… 1 agent, PostgreSQL", "%.0f" % pg1_rps, ""))
    rows.append(("… 2 agents, one PostgreSQL (16 connections each)", "%.0f" % pg2_rps, ""))
    rows.append(("server CPU per webhook, µs (user + system; less sensitive to a busy "
                 "machine): 1 agent, SQLite", "%.0f" % (agent_cpu * 1e6),
                 "%.0f" % (hello_cpu * 1e6)))
    rows.append(("… 1 agent, PostgreSQL (the agent only; PostgreSQL's own CPU not counted)",
                 "%.0f" % (pg1_cpu * 1e6), ""))
    rows.append(("… 2 agents, one PostgreSQL (both agents)", "%.0f" % (pg2_cpu * 1e6), ""))
    for p in (50, 99):
        rows.append(("webhook → device latency p%d, ms (%d/s for %d s; hello: request): "
                     "1 agent, SQLite" % (p, rate, seconds),
                     "%.1f" % (percentile(agent_lat, p) * ms),
                     "%.1f" % (percentile(hello_lat, p) * ms)))
        rows.append(("… webhook to agent A, poll held by agent B, PostgreSQL (goal p99 ≤ 100)",
                     "%.1f" % (percentile(pg_lat, p) * ms), ""))
    rows.append(("idle long-polls held (%d), RSS growth MiB" % idle,
                 "%.1f" % ((a_during - a_before) / 2**20), "%.1f" % ((during - before) / 2**20)))
    rows.append(("idle long-polls per GB of RSS (goal 20,000)",
                 "%.0f" % agent_idle_per_gb, "%.0f" % hello_idle_per_gb))
    print("| measure | agent | hello world (same server) |")
    print("|---|---:|---:|")
    for row in rows:
        print("| %s | %s | %s |" % row)
    print()
    print("uvicorn %s (h11, asyncio), Python %s, SQLite synchronous=FULL, PostgreSQL %s "
          "(fsync on, same machine), %d cores; answered idle polls: %d (should be 0). "
          "Command: `.venv/bin/python tools/bench/bench_agent.py%s`"
          % (_version("uvicorn"), platform.python_version(), pg_version, os.cpu_count(),
             answered, " --quick" if args.quick else ""))
    return 0


def _version(name):
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    sys.exit(main())
