"""What the sandbox starts with: the account, its credentials and its numbers.

The defaults are fixed so that the demo, the tests and a developer's notes agree.
"""

from dataclasses import dataclass, field

DEFAULT_ACCOUNT_SID = "AC00000000000000000000000000000001"
DEFAULT_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
DEFAULT_API_KEY_SID = "SK00000000000000000000000000000001"
DEFAULT_API_KEY_SECRET = "sandboxApiKeySecret0000000000001"
DEFAULT_NUMBERS = ("+15005550006", "+15017122661")
# A Messaging Service the account has, holding its numbers (send with MessagingServiceSid).
DEFAULT_MESSAGING_SERVICE_SID = "MG00000000000000000000000000000001"
# Twilio's magic test number for "recipient has opted out" (error 21610).
DEFAULT_OPTED_OUT = ("+15005550004",)
# Recipients whose messages end undelivered (30003) or failed (30001).
DEFAULT_FAILING = {"+15005550010": 30003, "+15005550011": 30001}
DEFAULT_CALL_OUTCOMES = {
    "+15005550020": "busy",
    "+15005550021": "no-answer",
    "+15005550022": "failed",
}


@dataclass
class Settings:
    account_sid: str = DEFAULT_ACCOUNT_SID
    auth_token: str = DEFAULT_AUTH_TOKEN
    api_key_sid: str = DEFAULT_API_KEY_SID
    api_key_secret: str = DEFAULT_API_KEY_SECRET
    numbers: tuple = DEFAULT_NUMBERS
    messaging_service_sid: str = DEFAULT_MESSAGING_SERVICE_SID
    opted_out: tuple = DEFAULT_OPTED_OUT
    # Recipient number -> Twilio error code: messages to it end failed/undelivered.
    failing: dict = field(default_factory=lambda: dict(DEFAULT_FAILING))
    # Callee number -> how a call to it ends: "busy", "no-answer" or "failed".
    call_outcomes: dict = field(default_factory=lambda: dict(DEFAULT_CALL_OUTCOMES))
    # Seconds between a message's status steps (queued -> sending -> sent -> delivered).
    step_seconds: float = 1.0
    # Seconds before an outbound webhook request gives up (Twilio: 15).
    webhook_timeout: float = 15.0
    # Requests per second per credential before 429 + Retry-After; None means no limit.
    rate_limit: float = None
    # CA bundle (path) the sandbox trusts when it calls HTTPS webhooks; True = system CAs.
    webhook_ca: object = True
