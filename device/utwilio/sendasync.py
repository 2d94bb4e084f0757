"""send() with a callback, and send_async(): apart from utwilio.twilio, so that a
device that sends blocking and without callbacks never holds them."""

import gc

from utwilio.errors import TransportError


def _running_loop():
    import sys

    aio = sys.modules.get("asyncio")
    if aio is None:
        return False
    try:
        aio.current_task()
        return True
    except RuntimeError:
        return False


def with_callback(client, body, callback):
    """Under a running asyncio loop: a task that calls `callback(result)` (returned);
    otherwise the send now, then `callback(result)`, and None."""
    if _running_loop():
        import asyncio

        return asyncio.create_task(_then(client, body, callback))
    callback(client.call("POST", client.messages_url, body))
    return None


async def _then(client, body, callback):
    callback(await call(client, body))


async def call(client, body):
    """The message form `body` POSTed with non-blocking streams -> the result dict."""
    gc.collect()  # as in Api.call()
    try:
        answer = await client.transport.request_async("POST", client.messages_url,
                                                      client.headers, body)
    except TransportError as e:
        answer = e
    return client.finish(answer)
