"""Answers without a Content-Length (chunked, or read until the server closes): apart
from utwilio.http because Twilio and the agent send a length, so a device rarely
needs these."""

from utwilio import wire


def chunked(f, limit):
    chunks = []
    total = 0
    while True:
        size = wire.chunk_size(wire.readline(f))
        if size == 0:
            while wire.readline(f) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        total += size
        wire.too_big(total, limit)
        data = f.read(size)
        wire.short(len(data), size)
        chunks.append(data)
        wire.readline(f)


def to_close(f, limit):
    chunks = []
    total = 0
    while True:
        data = f.read(1024)
        if not data:
            return b"".join(chunks)
        total += len(data)
        wire.too_big(total, limit)
        chunks.append(data)
