"""`Twilio(sid, token, number).send(to, message)`, the one result of every call
(`result`) and what Twilio and rest.Client share (`Api`). `import utwilio` does not
load this module: `utwilio.Twilio` does, so the agent link pays nothing for send().
Only what `send()` needs is imported here; TLS, asyncio, TwiML and the REST modules
load when first used."""

import gc
import json

from utwilio import form, validate
from utwilio.errors import TransportError, TwilioError

API = "https://api.twilio.com"


def _basic(user, password):
    import binascii

    return "Basic " + binascii.b2a_base64((user + ":" + password).encode())[:-1].decode()


def _decode(data):
    if isinstance(data, str):
        return data
    try:
        return str(data, "utf-8")
    except UnicodeError:
        return repr(data[:300])


def result(status, headers, text, maybe_sent=False):
    """The one result of every call (send() and rest alike): Electric Imp's table
    (`statuscode`, `headers`: the few kept, `body`: the answer's text) plus `data`, the
    parsed JSON of a 2xx answer; `sid` and `status` on success; Twilio's `code`,
    `message` and `more_info` on error. A `statuscode` below 100 is a transport failure
    (`message` says which); `maybe_sent` is True when the request went out whole but no
    answer came (Twilio may have acted on it: do not resend blindly)."""
    r = {"statuscode": status, "headers": headers, "body": text, "data": None, "sid": None,
         "status": None, "code": None, "message": None, "more_info": None,
         "maybe_sent": maybe_sent}
    if status < 100:
        r["message"] = text
        return r
    parsed = None
    if text[:1] in ("{", "["):
        try:
            parsed = json.loads(text)
        except ValueError:
            pass
        except MemoryError:  # the answer came; say so rather than crash mid-loop
            r["message"] = "out of memory reading the %d-byte answer" % len(text)
    if 200 <= status < 300:
        r["data"] = parsed
        if isinstance(parsed, dict):
            r["sid"] = parsed.get("sid")
            r["status"] = parsed.get("status")
    elif isinstance(parsed, dict):
        r["code"] = parsed.get("code")
        r["message"] = parsed.get("message")
        r["more_info"] = parsed.get("more_info")
        if r["code"] == 20003:  # wrong credentials: say which settings to check
            from utwilio.invalid import credentials

            r["message"] = credentials(r["message"])
    elif r["message"] is None:
        r["message"] = text[:300] or "HTTP %d" % status
    return r


class Api:
    """What Twilio and rest.Client share: credentials checked, the transport made,
    one call -> one result (see result()), raise_errors, keep_alive and close()."""

    def __init__(self, account_sid, auth_token, api_key, base_url, cadata, verify, timeout,
                 transport, raise_errors, keep_alive):
        validate.sid("account_sid", account_sid, "AC")
        validate.secret("auth_token", auth_token)
        if api_key is not None:
            validate.sid("api_key", api_key, "SK")
        base_url = validate.base_url(base_url)
        if transport is None:
            from utwilio.http import for_url

            transport = for_url(base_url, cadata, verify, timeout, keep_alive)
        self.account_sid = account_sid
        self.base_url = base_url
        self.transport = transport
        self.raise_errors = raise_errors
        self.headers = {
            "Authorization": _basic(api_key or account_sid, auth_token),
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Closes the connection kept by keep_alive=True (the next call reopens one)."""
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()

    def call(self, method, url, body=None):
        """One request to `url` (form-encoded `body`) -> the result dict."""
        # The checks' and the form's garbage goes before the connection's buffers come:
        # the smallest heap a send needs drops by ~2 KB (tools/bench/heap.py).
        gc.collect()
        try:
            return self.finish(self.transport.request(method, url, self.headers, body))
        except TransportError as e:
            return self.finish(e)

    def finish(self, answer):
        """(status, headers, body) or a TransportError -> the result dict; raises
        TwilioError for a failure when raise_errors is set."""
        if isinstance(answer, TransportError):
            r = result(answer.code, {}, answer.message, answer.sent)
        else:
            status, headers, text = answer[0], answer[1], _decode(answer[2])
            answer = None  # the bytes can go before the JSON is parsed
            r = result(status, headers, text)
        status = r["statuscode"]
        if self.raise_errors and not 200 <= status < 300:
            raise TwilioError(status, r["message"], r["code"], r["more_info"], r)
        return r



class Twilio(Api):
    """`Twilio(account_sid, auth_token, number)`; with `api_key="SK…"` the second
    argument is that key's secret. docs/alerts.md lists every option.

    `keep_alive=True` sends a burst over one connection (one TLS handshake): it stays
    open between sends until `close()`, the end of a `with Twilio(...) as t:` block, an
    error, or the server closing it."""

    def __init__(self, account_sid, auth_token, number, *, base_url=API, api_key=None,
                 cadata=None, verify=True, timeout=15, transport=None, raise_errors=False,
                 keep_alive=False):
        validate.sender("number", number)
        Api.__init__(self, account_sid, auth_token, api_key, base_url, cadata, verify,
                     timeout, transport, raise_errors, keep_alive)
        self.number = number
        self.messages_url = "%s/2010-04-01/Accounts/%s/Messages.json" % (self.base_url,
                                                                         account_sid)

    def __repr__(self):
        return "<Twilio %s from %s>" % (self.account_sid, self.number)

    def send(self, to, message, callback=None, *, media_url=None, status_callback=None):
        """Sends an SMS (an MMS with `media_url`) and returns the result dict.

        With `callback`, under a running asyncio loop the send runs as a task and
        `callback(result)` fires when it completes (the task is returned); with no
        loop running, it sends now, calls `callback(result)` and returns None."""
        body = self.message_form(to, message, media_url, status_callback)
        if callback is None:
            return self.call("POST", self.messages_url, body)
        from utwilio.sendasync import with_callback

        return with_callback(self, body, callback)

    async def send_async(self, to, message, *, media_url=None, status_callback=None):
        """`send()` for asyncio applications: non-blocking streams, same verified TLS."""
        from utwilio.sendasync import call

        return await call(self, self.message_form(to, message, media_url, status_callback))

    def respond(self, response, message=None):
        """Answers Twilio's webhook with TwiML (see utwilio.reply.respond)."""
        from utwilio.reply import respond

        return respond(response, message)

    def message_form(self, to, message, media_url=None, status_callback=None):
        """The form body of a message from this number, every field checked first."""
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
