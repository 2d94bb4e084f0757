"""The link over HTTP long-poll (agent/PROTOCOL.md): each step of utwilio.link's core
is one request to the agent, made by utwilio.http (blocking; polls and acks share one
kept-alive connection, so an idle device does one TLS handshake per connection, not
per poll) or utwilio.ahttp (a connection per request)."""

import json

from utwilio.errors import TransportError
from utwilio.http import for_url


class Channel:
    shared = False  # one connection per request: exchanges may overlap

    def __init__(self, url, device_id, token, cadata, verify, timeout):
        self.transport = for_url(url, cadata, verify, timeout, keep_alive=True)
        self.timeout = timeout
        self._base = url.rstrip("/") + "/link/v1/devices/" + device_id
        self._headers = {"Authorization": "Bearer " + token, "Accept": "application/json",
                         "Content-Type": "application/json"}

    def poll(self, wait, _wanted):
        return (yield ("GET", "/commands?wait=%d" % wait, None, wait))

    def ack(self, command_id, reply):
        body = json.dumps({"reply": reply}).encode()
        return (yield ("POST", "/commands/%s/ack" % command_id, body, 0))

    def post(self, kind, body):
        return (yield ("POST", "/" + kind, json.dumps(body).encode(), 0))

    def io(self, op):
        """One request -> (status, body); a transport failure -> (code < 100, why)."""
        method, path, body, wait = op
        self.transport.timeout = self.timeout + wait
        try:
            answer = self.transport.request(method, self._base + path, self._headers, body)
        except TransportError as e:
            return e.code, e.message
        return answer[0], answer[2]

    async def aio(self, op):
        method, path, body, wait = op
        self.transport.timeout = self.timeout + wait
        try:
            answer = await self.transport.request_async(method, self._base + path,
                                                        self._headers, body)
        except TransportError as e:
            return e.code, e.message
        return answer[0], answer[2]

    def close(self):
        self.transport.close()
