"""HTTP/1.1 over asyncio streams: the non-blocking twin of utwilio.http, imported
only by send_async() and send(callback=…) so a blocking device never loads asyncio."""

import asyncio

from utwilio import wire
from utwilio.errors import TransportError


async def request(transport, method, url, headers, body=None):
    secure, host, port, path = wire.split_url(url)
    where = "%s:%d" % (host, port)
    head = wire.head(method, host, port, secure, path, wire.fields(headers),
                     None if body is None else len(body))
    try:
        return await asyncio.wait_for(
            _exchange(transport, secure, host, port, head, body, where), transport.timeout)
    except asyncio.TimeoutError:
        # The phase is unknown here: say the request may have gone out (safe side).
        raise TransportError(28, "timed out talking to %s" % where, True)


async def _exchange(t, secure, host, port, head, body, where):
    if secure:
        t.context()  # a bad cadata raises here, before any network
    try:
        if secure:
            r, w = await asyncio.open_connection(host, port, ssl=t.context(), server_hostname=host)
        else:
            r, w = await asyncio.open_connection(host, port)
    except Exception as e:
        raise wire.fail("connect", e, where)
    phase = "send"
    try:
        w.write(head)
        if body:
            w.write(body)
        await w.drain()
        phase = "receive"
        return await _read(r, t.max_response)
    except EOFError:
        raise TransportError(18, "connection closed early by %s" % where, True)
    except Exception as e:
        raise wire.fail(phase, e, where)
    finally:
        w.close()
        try:
            await w.wait_closed()
        except Exception:
            pass  # the socket is closed either way; a reset here changes nothing


async def _read(r, limit):
    code = wire.status(await r.readline())
    headers = {}
    for _ in range(wire.MAX_HEADERS):
        if not wire.header(await r.readline(), headers):
            break
    else:
        raise wire.fault("headers", wire.MAX_HEADERS)
    n = wire.body_length(headers, limit)
    if n is not None and n >= 0:
        return code, headers, (await r.readexactly(n)) if n else b""
    chunks = []
    total = 0
    while True:
        if n is None:
            data = await r.read(1024)
            if not data:
                return code, headers, b"".join(chunks)
        else:
            size = wire.chunk_size(await r.readline())
            if size == 0:
                while (await r.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return code, headers, b"".join(chunks)
            data = await r.readexactly(size)
            await r.readline()
        total += len(data)
        wire.too_big(total, limit)
        chunks.append(data)
