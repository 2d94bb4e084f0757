"""The same requests over a `requests` module: CPython's (so `responses` can exercise
the logic in tests) or MicroPython's frozen one. The device default is utwilio.http:
MicroPython's `requests` never verifies TLS certificates."""

from utwilio.errors import TransportError


class RequestsTransport:
    def __init__(self, requests_module=None, timeout=15):
        if requests_module is None:
            import requests as requests_module
        self.requests = requests_module
        self.timeout = timeout

    def request(self, method, url, headers, body=None):
        try:
            r = self.requests.request(method, url, data=None if body is None else bytes(body),
                                      headers=headers, timeout=self.timeout)
        except Exception as e:
            raise TransportError(7, "request to %s failed (%s)" % (url, e))
        try:
            return r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content
        finally:
            r.close()

    async def request_async(self, method, url, headers, body=None):
        """`requests` blocks: this runs the request to completion before returning."""
        return self.request(method, url, headers, body)
