"""Point the official `twilio` Python client at a sandbox, unchanged otherwise.

The client builds URLs like https://api.twilio.com/2010-04-01/... and
https://lookups.twilio.com/v2/...; every Twilio host maps onto the one sandbox
server by path, so the HTTP client only swaps scheme and host.
"""

from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN


class SandboxHttpClient(TwilioHttpClient):
    """Sends requests for *.twilio.com to `base_url`; `verify` is a CA bundle path or bool."""

    def __init__(self, base_url, verify=True, **kwargs):
        super().__init__(**kwargs)
        self._base = urlsplit(base_url)
        self.session.verify = verify
        # REQUESTS_CA_BUNDLE would otherwise win over an explicit CA bundle.
        self.session.trust_env = verify is True

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        if parts.hostname and parts.hostname.endswith("twilio.com"):
            url = urlunsplit((self._base.scheme, self._base.netloc, parts.path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


def twilio_client(
    base_url,
    username=DEFAULT_ACCOUNT_SID,
    password=DEFAULT_AUTH_TOKEN,
    account_sid=None,
    verify=True,
):
    """An official twilio.rest.Client that talks to the sandbox at `base_url`."""
    return Client(
        username,
        password,
        account_sid=account_sid,
        http_client=SandboxHttpClient(base_url, verify=verify),
    )
