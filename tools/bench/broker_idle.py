"""Idle devices per GB of RSS on Mosquitto, as the MQTT link keeps them: each a device
logged in with its own id and token (the agent's broker-config: password file, ACL),
connected, subscribed to its cmd and answer topics, its retained hello published, then
idle. Over plain TCP and over TLS (a CA made for the run), N devices each, the load
generator in another process. Compare with the agent's idle long-polls per GB in
BENCHMARKS.md (tools/bench/bench_agent.py).

    .venv/bin/python tools/bench/broker_idle.py [N]      (default 2000)"""

import asyncio
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "device"), str(ROOT / "stubs")]


def rss(pid):
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise SystemExit("no RSS for %d" % pid)


async def hold(port, n, cafile):
    """The load generator: n devices connect and idle until stdin closes."""
    from utwilio import mqtt

    ctx = None
    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
    conns = []
    for i in range(n):
        device = "d%d" % i
        topic = "utw/v1/%s/" % device
        r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx,
                                             server_hostname="localhost" if ctx else None)
        body = (b"\x00\x04MQTT\x04\xee\x00\x3c" + mqtt._str(device) + mqtt._str(topic + "presence")
                + mqtt._str('{"online": false}') + mqtt._str(device) + mqtt._str("t-" + device))
        w.write(mqtt._packet(0x10, body))
        w.write(mqtt._packet(0x82, b"\x00\x01" + mqtt._str(topic + "cmd") + b"\x01"
                             + mqtt._str(topic + "answer") + b"\x01"))
        w.write(mqtt._packet(0x33, mqtt._str(topic + "presence") + b"\x00\x02"
                             + b'{"online": true}'))
        await w.drain()
        assert (await r.readexactly(4))[3] == 0, "login refused"
        await r.readexactly(6)  # SUBACK
        await r.readexactly(4)  # PUBACK
        conns.append((r, w))
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def measure(broker, n, cafile):
    before = rss(broker.proc.pid)
    gen = subprocess.Popen([sys.executable, __file__, "--hold", str(broker.port), str(n),
                            cafile or ""], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
    line = gen.stdout.readline()
    if line.strip() != "READY":
        raise SystemExit("the load generator failed: %r" % line)
    time.sleep(2)
    during = rss(broker.proc.pid)
    gen.stdin.close()
    gen.wait(60)
    return before, during


def main(n):
    import trustme
    from mosquitto import Mosquitto
    from utwilio_agent import broker as config

    work = Path(tempfile.mkdtemp(prefix="utwilio-brokerbench-"))
    ca = trustme.CA()
    rows = []
    for secure in (False, True):
        b = Mosquitto(work / ("tls" if secure else "tcp"), ca, secure=secure)
        entries = config._entries(b.folder / "passwd")
        entries.update(("d%d" % i, config.password_hash("t-d%d" % i)) for i in range(n))
        config._write_passwd(b.folder / "passwd", entries)
        with open(b.folder / "mosquitto.conf", "a") as f:
            f.write("max_connections -1\n")
        with b:
            before, during = measure(b, n, str(b.ca_pem) if secure else None)
        per = (during - before) / n
        rows.append(("TLS" if secure else "TCP", n, before, during, per, 2**30 / per))
    print("| Mosquitto 2.0, idle MQTT devices | devices | RSS before | RSS while held | "
          "bytes per device | devices per GB |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| %s | %d | %d | %d | %.0f | %.0f |" % row)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--hold"]:
        asyncio.run(hold(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] or None))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
