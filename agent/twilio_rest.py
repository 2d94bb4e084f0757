"""Sending SMS through Twilio's REST API (or the sandbox: `base_url`), with httpx.

The device package's own HTTP client needs MicroPython's `tls`, so the agent uses
httpx; the form encoding and the error type are the device package's."""

import email.utils
import time

import httpx
from utwilio import form
from utwilio.errors import TransportError, TwilioError

USER_AGENT = "utwilio-agent/0.1"
MAX_BODY = 1600
# Failures before the request went out: sending again cannot make a second SMS.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class TwilioRest:
    def __init__(self, base_url, account_sid, auth_token, timeout=15.0, transport=None):
        self.account_sid = account_sid
        self._path = "/2010-04-01/Accounts/%s/Messages.json" % account_sid
        self._http = httpx.AsyncClient(
            base_url=base_url,
            auth=(account_sid, auth_token),
            timeout=timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            transport=transport,
        )

    async def close(self):
        await self._http.aclose()

    async def send(self, to, sender, body, status_callback=None):
        """-> Twilio's message JSON (dict); raises TwilioError for Twilio's refusal
        (`status`, `code`, `message`, `response`) and TransportError for no answer."""
        pairs = [("To", to), ("From", sender), ("Body", body[:MAX_BODY])]
        if status_callback:
            pairs.append(("StatusCallback", status_callback))
        try:
            response = await self._http.post(
                self._path,
                content=bytes(form.encode(pairs)),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        except NOT_SENT as error:
            raise TransportError(7, "cannot reach Twilio: %s" % error) from None
        except httpx.TimeoutException as error:
            raise TransportError(28, "Twilio did not answer in time: %s" % error,
                                 sent=True) from None
        except httpx.HTTPError as error:
            raise TransportError(56, "no answer from Twilio: %s" % error, sent=True) from None
        return self._answer(response)

    async def find(self, to, sender, body, since):
        """Messages to `to` from `sender` with this body, created since `since` (unix
        s), newest first: what an attempt that got no answer may have created."""
        moment = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since))
        try:
            response = await self._http.get(self._path, params=[
                ("To", to), ("From", sender), ("DateSent>", moment), ("PageSize", "50")])
        except httpx.HTTPError as error:
            raise TransportError(7, "cannot ask Twilio: %s" % error) from None
        data = self._answer(response, "messages")
        return [
            m for m in data["messages"]
            if m.get("body") == body[:MAX_BODY] and m.get("sid")
            and _created(m) >= since
        ]

    @staticmethod
    def _answer(response, key="sid"):
        try:
            data = response.json()
        except ValueError:
            data = None
        answered = isinstance(data, dict) and data.get(key) is not None
        if 200 <= response.status_code < 300 and answered:
            return data
        if not isinstance(data, dict):
            data = {}
        raise TwilioError(
            response.status_code,
            data.get("message") or response.text[:200] or response.reason_phrase,
            data.get("code"),
            data.get("more_info"),
            response,
        )


def _created(message):
    try:
        return email.utils.parsedate_to_datetime(message.get("date_created") or "").timestamp()
    except (TypeError, ValueError):
        return 0.0


def retry_after(error):
    """Seconds Twilio asked us to wait (Retry-After on a 429), or None."""
    response = getattr(error, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def retryable(error):
    """Twilio's own trouble or ours (429, 5xx, no answer) passes; a 4xx refusal stays."""
    if isinstance(error, TransportError):
        return True
    return error.status == 429 or error.status >= 500
