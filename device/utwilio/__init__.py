"""Twilio SMS for MicroPython: `Twilio(sid, token, number).send(to, message)`.

The face of Electric Imp's Twilio library. Only what `send()` needs is imported
here; TLS, asyncio, TwiML and the REST modules load when first used."""

import json

from utwilio import form, validate
from utwilio.errors import TransportError, TwilioError

__version__ = "0.1.0"
__all__ = ["Twilio", "TwilioError"]

API = "https://api.twilio.com"


def _basic(user, password):
    import binascii

    return "Basic " + binascii.b2a_base64((user + ":" + password).encode())[:-1].decode()


def result(status, headers, text):
    """Electric Imp's result table (`statuscode`, `headers`, `body`) plus the parsed
    fields a user needs: `sid` and `status` on success, Twilio's `code`, `message`
    and `more_info` on error; `maybe_sent` is True when the request went out whole but
    no answer came (Twilio may have accepted it: do not resend blindly)."""
    r = {"statuscode": status, "headers": headers, "body": text, "sid": None, "status": None,
         "code": None, "message": None, "more_info": None, "maybe_sent": False}
    if status < 100:
        r["message"] = text
        return r
    try:
        data = json.loads(text) if text[:1] == "{" else None
    except ValueError:
        data = None
    if data is not None:
        if 200 <= status < 300:
            r["sid"] = data.get("sid")
            r["status"] = data.get("status")
        else:
            r["code"] = data.get("code")
            r["message"] = data.get("message")
            r["more_info"] = data.get("more_info")
    return r


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


class Twilio:
    """`Twilio(account_sid, auth_token, number)`; with `api_key="SK…"` the second
    argument is that key's secret. See the README for every option.

    `keep_alive=True` sends a burst over one connection (one TLS handshake): it stays
    open between sends until `close()`, the end of a `with Twilio(...) as t:` block, an
    error, or the server closing it."""

    def __init__(self, account_sid, auth_token, number, *, base_url=API, api_key=None,
                 cadata=None, verify=True, timeout=15, transport=None, raise_errors=False,
                 keep_alive=False):
        validate.sid("account_sid", account_sid, "AC")
        validate.secret("auth_token", auth_token)
        validate.sender("number", number)
        base_url = validate.base_url(base_url)
        if api_key is not None:
            validate.sid("api_key", api_key, "SK")
        if transport is None:
            from utwilio.http import for_url

            transport = for_url(base_url, cadata, verify, timeout, keep_alive)
        self.account_sid = account_sid
        self.number = number
        self.base_url = base_url
        self.transport = transport
        self.raise_errors = raise_errors
        self._headers = {
            "Authorization": _basic(api_key or account_sid, auth_token),
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }

    def __repr__(self):
        return "<Twilio %s from %s>" % (self.account_sid, self.number)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Closes the connection kept by keep_alive=True (sending again reopens it)."""
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()

    def send(self, to, message, callback=None, *, media_url=None, status_callback=None):
        """Sends an SMS (an MMS with `media_url`) and returns the result dict.

        With `callback`, under a running asyncio loop the send runs as a task and
        `callback(result)` fires when it completes (the task is returned); with no
        loop running, it sends now, calls `callback(result)` and returns None."""
        body = self._message_form(to, message, media_url, status_callback)
        if callback is None:
            return self._finish(self._post(body))
        if _running_loop():
            import asyncio

            return asyncio.create_task(self._send_then(body, callback))
        callback(self._finish(self._post(body)))
        return None

    async def send_async(self, to, message, *, media_url=None, status_callback=None):
        """`send()` for asyncio applications: non-blocking streams, same verified TLS."""
        body = self._message_form(to, message, media_url, status_callback)
        return self._finish(await self._post_async(body))

    def respond(self, response, message=None):
        """Answers Twilio's webhook with TwiML (see utwilio.reply.respond)."""
        from utwilio.reply import respond

        return respond(response, message)

    async def _send_then(self, body, callback):
        callback(self._finish(await self._post_async(body)))

    def _message_form(self, to, message, media_url, status_callback):
        validate.phone("to", to)
        validate.same_channel(to, self.number)
        urls = validate.media_urls(media_url)
        validate.body(message, bool(urls))
        pairs = [("To", to), ("From", self.number)]
        if message:
            pairs.append(("Body", message))
        for u in urls:
            pairs.append(("MediaUrl", u))
        if status_callback is not None:
            pairs.append(("StatusCallback", validate.url("status_callback", status_callback)))
        return form.encode(pairs)

    def _messages_url(self):
        return "%s/2010-04-01/Accounts/%s/Messages.json" % (self.base_url, self.account_sid)

    def _get(self, url):
        try:
            return self.transport.request("GET", url, self._headers)
        except TransportError as e:
            return e

    def _post(self, body):
        try:
            return self.transport.request("POST", self._messages_url(), self._headers, body)
        except TransportError as e:
            return e

    async def _post_async(self, body):
        try:
            return await self.transport.request_async(
                "POST", self._messages_url(), self._headers, body)
        except TransportError as e:
            return e

    def _finish(self, answer):
        """(status, headers, body) or a TransportError -> the result dict."""
        if isinstance(answer, TransportError):
            r = result(answer.code, {}, answer.message)
            r["maybe_sent"] = answer.sent
            status, text = answer.code, answer.message
        else:
            status, headers, data = answer
            text = data if isinstance(data, str) else data.decode()
            r = result(status, headers, text)
        if self.raise_errors and not 200 <= status < 300:
            raise TwilioError(status, r["message"] or text, r["code"], r["more_info"], r)
        return r
