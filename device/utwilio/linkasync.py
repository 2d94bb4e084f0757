"""The asyncio driver of utwilio.link's core, and run_async()'s loop: apart, so that a
blocking device never loads them (nor asyncio)."""

import asyncio


async def run(link):
    link._running = True
    while link._running:
        try:
            await drive(link, link._poll(link.wait))
        except Exception as e:
            link._crashed(e)
        pause = link._pause_ms()
        if pause:
            await asyncio.sleep(pause / 1000)


async def drive(link, steps):
    """Link._drive under asyncio. On a shared connection (MQTT) one exchange runs at a
    time, and a waiting poll gives way to a send. Cancelled mid-exchange, the
    connection is closed: its stream may be mid-packet."""
    channel = link.channel
    lock = link._lock
    if lock is None and channel.shared:
        lock = link._lock = asyncio.Lock()
    if lock is not None:
        link._queued += 1
        try:
            await lock.acquire()
        finally:
            link._queued -= 1
    value = error = None
    try:
        while True:
            try:
                op = steps.throw(error) if error else steps.send(value)
            except StopIteration as e:
                return e.value
            error = None
            try:
                value = await (op[1] if op[0] == "await" else channel.aio(op))
            except Exception as e:
                value, error = None, e
    except BaseException as e:
        if not isinstance(e, Exception):
            channel.close()
        raise
    finally:
        if lock is not None:
            lock.release()
