"""utwilio.mqtt's I/O operations under asyncio (the twin of mqtt.Conn.io), loaded only
by an asyncio device."""

import asyncio

from utwilio.mqttfail import fail


async def io(conn, op):
    kind = op[0]
    phase = "receive" if kind == "read" else "send"
    try:
        if kind == "read":
            try:
                return await asyncio.wait_for(conn._reader.readexactly(op[1]), op[2] / 1000)
            except asyncio.TimeoutError:
                if op[3]:
                    return None
                raise OSError(110, "timed out")
            except EOFError:
                raise OSError("connection closed by the broker")
        if kind == "write":
            conn._writer.write(op[1])
            await conn._writer.drain()
        elif kind == "open":
            conn.close()
            conn.opened += 1
            phase = "connect"
            if conn.tls is None:
                r, w = await asyncio.open_connection(conn.host, conn.port)
            else:
                r, w = await asyncio.open_connection(conn.host, conn.port, ssl=conn.context(),
                                                     server_hostname=conn.host)
            conn._reader, conn._writer = r, w
        else:
            conn.close()
    except Exception as e:
        conn.close()
        raise fail(phase, e, conn.where)
