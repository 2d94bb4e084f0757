"""Sending SMS through Twilio's REST API (or the sandbox: `base_url`), with httpx.

The device package's own HTTP client needs MicroPython's `tls`, so the agent uses
httpx; the form encoding and the error type are the device package's."""

import httpx
from utwilio import form
from utwilio.errors import TransportError, TwilioError

USER_AGENT = "utwilio-agent/0.1"
MAX_BODY = 1600


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
        except httpx.TimeoutException as error:
            raise TransportError(28, "Twilio did not answer in time: %s" % error) from None
        except httpx.HTTPError as error:
            raise TransportError(7, "cannot reach Twilio: %s" % error) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if 200 <= response.status_code < 300 and isinstance(data, dict) and data.get("sid"):
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
