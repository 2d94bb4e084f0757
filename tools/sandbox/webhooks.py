"""Requests the sandbox makes to the user's URLs, as Twilio makes them: signed,
with an idempotency token, a 15 s default timeout, and the URL-fragment connection
overrides (#ct=, #rt=, #tt= in ms; #rc= retries 0-5; #rp= retry policy ct,rt,4xx,5xx,all).

The signature covers the URL without its fragment: that is what a server receives.
"""

import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from .formats import new_sid

USER_AGENT = "TwilioProxy/1.1"


class Overrides:
    def __init__(self, fragment, read_timeout):
        values = dict(parse_qsl(fragment))

        def number(key, default, low, high):
            try:
                return min(high, max(low, int(values.get(key, default))))
            except ValueError:
                return default

        self.connect = number("ct", 5000, 100, 10000) / 1000
        self.read = number("rt", int(read_timeout * 1000), 100, 15000) / 1000
        self.total = number("tt", 15000, 100, 15000) / 1000
        self.retries = number("rc", 1, 0, 5)
        self.policy = set(values.get("rp", "ct").split(","))

    def retries_on(self, failure):
        return "all" in self.policy or failure in self.policy


class Result:
    """What came back: `status` (None when no response) and body, or an error code
    (11200 bad HTTP status, 11205 connection failure or timeout)."""

    def __init__(self, url, status=None, body="", content_type="", error_code=None, error=""):
        self.url = url
        self.status = status
        self.body = body
        self.content_type = content_type
        self.error_code = error_code
        self.error = error

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300


def _split(url):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment="")), parts.fragment


def signed_request(url, params, signer, method="POST"):
    """(method, url, body, headers) for a webhook with `params`, signed by `signer`
    (signing.Signer); GET puts the params in the query."""
    target, _ = _split(url)
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "*/*",
        "I-Twilio-Idempotency-Token": new_sid("ID")[2:],
    }
    if method.upper() == "GET":
        separator = "&" if urlsplit(target).query else "?"
        target = target + separator + urlencode(params) if params else target
        headers.update(signer.headers(target, []))
        return "GET", target, None, headers
    headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    headers.update(signer.headers(target, params))
    return "POST", target, urlencode(params).encode(), headers


async def call(url, params, signer, method="POST", read_timeout=15.0, verify=True):
    """Make the request, retrying per the URL's overrides; the same idempotency
    token and signature go with every attempt."""
    _, fragment = _split(url)
    overrides = Overrides(fragment, read_timeout)
    method, target, body, headers = signed_request(url, params, signer, method)
    timeout = httpx.Timeout(overrides.read, connect=overrides.connect)
    deadline = time.monotonic() + overrides.total
    result = None
    async with httpx.AsyncClient(timeout=timeout, verify=verify, trust_env=False) as http:
        for _ in range(overrides.retries + 1):
            failure, result = await _attempt(http, method, target, body, headers)
            if failure is None or not overrides.retries_on(failure):
                break
            if time.monotonic() >= deadline:
                break
    return result


async def _attempt(http, method, target, body, headers):
    try:
        response = await http.request(method, target, content=body, headers=headers)
    except httpx.ConnectTimeout:
        return "ct", Result(
            target, error_code=11205, error="HTTP connection failure: connect timeout"
        )
    except httpx.ConnectError as error:
        return "ct", Result(target, error_code=11205, error="HTTP connection failure: %s" % error)
    except httpx.TimeoutException:
        return "rt", Result(target, error_code=11205, error="HTTP connection failure: read timeout")
    except httpx.HTTPError as error:
        return "ct", Result(target, error_code=11205, error="HTTP connection failure: %s" % error)
    result = Result(
        target, response.status_code, response.text, response.headers.get("content-type", "")
    )
    if result.ok:
        return None, result
    result.error_code = 11200
    result.error = "HTTP retrieval failure: status %d" % response.status_code
    return ("4xx" if response.status_code < 500 else "5xx"), result
