"""Twilio's wire formats: sids, RFC 2822 dates, phone numbers, SMS segments."""

import re
import secrets
from datetime import datetime, timezone
from email.utils import format_datetime
from urllib.parse import urlparse

API_VERSION = "2010-04-01"

_SID = re.compile(r"^[A-Z]{2}[0-9a-f]{32}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")

# GSM 03.38 basic set; the extension set costs two septets per character.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("\f^{}\\[~]|€")


def new_sid(prefix):
    """A Twilio resource sid: two capital letters then 32 lowercase hex digits."""
    return prefix + secrets.token_hex(16)


def is_sid(value, prefix=None):
    return bool(_SID.match(value or "")) and (prefix is None or value.startswith(prefix))


def is_hex32(value):
    return bool(_HEX32.match(value or ""))


def utcnow():
    return datetime.now(timezone.utc).replace(microsecond=0)


def rfc2822(moment):
    """'Mon, 23 Nov 2026 11:30:00 +0000', as Twilio writes every date; None stays None."""
    if moment is None:
        return None
    return format_datetime(moment.astimezone(timezone.utc))


def iso8601(moment):
    """'2026-11-23T11:30:00Z', as the newer APIs (Monitor, Messaging v1) write dates."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_timestamp(seconds):
    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc)


def split_channel(address):
    """'whatsapp:+15551234567' -> ('whatsapp:', '+15551234567'); plain numbers have no channel."""
    if address.startswith("whatsapp:"):
        return "whatsapp:", address[len("whatsapp:") :]
    return "", address


def is_phone_number(number):
    """E.164, and for country code 1 (NANP) exactly ten digits after it."""
    if not _E164.match(number):
        return False
    return not number.startswith("+1") or len(number) == 12


def segment_count(body):
    """Segments an SMS body needs: GSM-7 160/153 septets, else UCS-2 70/67 code units."""
    if not body:
        return 1
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENSION for ch in body):
        units = [2 if ch in _GSM_EXTENSION else 1 for ch in body]
        single, multi = 160, 153
    else:
        units = [2 if ord(ch) > 0xFFFF else 1 for ch in body]
        single, multi = 70, 67
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for size in units:
        if used + size > multi:  # an escape pair or surrogate pair is never split
            segments, used = segments + 1, 0
        used += size
    return segments


def is_url(value):
    parsed = urlparse(value or "")
    return parsed.scheme in ("http", "https") and bool(parsed.hostname)
