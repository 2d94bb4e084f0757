"""Lookup v2 (lookups.twilio.com): /v2/PhoneNumbers/{number}?Fields=..."""

from urllib.parse import unquote

from starlette.routing import Route

from .endpoints import api_any, json
from .errors import TwilioError
from .formats import is_phone_number
from .numbers import find, friendly_name

FIELDS = (
    "caller_name",
    "sim_swap",
    "call_forwarding",
    "line_status",
    "line_type_intelligence",
    "identity_match",
    "reassigned_number",
    "sms_pumping_risk",
    "phone_number_quality_score",
    "pre_fill",
    "validation",
)
# CountryCode (ISO) -> calling code, for numbers given in national format.
CALLING_CODES = {"US": "1", "CA": "1", "PR": "1", "GB": "44", "DE": "49", "FR": "33", "MX": "52"}
CARRIER = {"mobile_country_code": "310", "mobile_network_code": "456", "error_code": None}


def _problem(number):
    digits = number[1:] if number.startswith("+") else number
    if not digits.isdigit():
        return "NOT_A_NUMBER"
    if len(digits) < 8 or (digits.startswith("1") and len(digits) < 11):
        return "TOO_SHORT"
    if len(digits) > 15 or (digits.startswith("1") and len(digits) > 11):
        return "TOO_LONG"
    return "INVALID_BUT_POSSIBLE"


def _field(name, number, owned):
    if name == "caller_name":
        return {
            "caller_name": "SANDBOX NUMBER" if owned else "SANDBOX PHONE",
            "caller_type": "BUSINESS" if owned else "CONSUMER",
            "error_code": None,
        }
    if name == "line_type_intelligence":
        return dict(
            CARRIER,
            carrier_name="Twilio" if owned else "Sandbox Wireless",
            type="nonFixedVoip" if owned else "mobile",
        )
    if name == "sim_swap":
        return dict(
            CARRIER,
            carrier_name="Sandbox Wireless",
            last_sim_swap={
                "last_sim_swap_date": None,
                "swapped_period": "PT48H",
                "swapped_in_period": False,
            },
        )
    if name == "call_forwarding":
        return {"call_forwarding_enabled": False, "error_code": None}
    if name == "line_status":
        return {"status": "active", "error_code": None}
    return None


def _e164(number, country):
    """A national number ('(415) 555-2671') with CountryCode=US becomes +14155552671."""
    if number.startswith("+"):
        return number
    digits = "".join(ch for ch in number if ch not in " ()-.")
    code = CALLING_CODES.get((country or "").upper())
    if code and digits.isdigit():
        if code == "1" and len(digits) == 11 and digits.startswith("1"):
            return "+" + digits
        return "+" + code + (digits if code == "1" else digits.lstrip("0"))
    return "+" + number if number.isdigit() else number


@api_any
async def _lookup(sandbox, request, account, params):
    number = _e164(unquote(request.path_params["number"]).strip(), params.get("CountryCode"))
    asked = [f.strip() for f in (params.get("Fields") or "").split(",") if f.strip()]
    unknown = [f for f in asked if f not in FIELDS]
    if unknown:
        raise TwilioError(
            60600, "Unknown Fields: %s (known: %s)" % (", ".join(unknown), ", ".join(FIELDS))
        )
    valid = is_phone_number(number)
    country = (params.get("CountryCode") or "").upper()
    code = CALLING_CODES.get(country)
    if not (code and number.startswith("+" + code)):
        country, code = ("US", "1") if number.startswith("+1") else (None, None)
    body = {name: None for name in FIELDS if name != "validation"}
    body.update(
        {
            "calling_country_code": code,
            "country_code": country if valid else None,
            "phone_number": number,
            "national_format": friendly_name(number) if valid else None,
            "valid": valid,
            "validation_errors": [] if valid else [_problem(number)],
            "url": str(request.url).split("?")[0],
        }
    )
    if valid:
        owned = find(sandbox.store, number) is not None
        for name in asked:
            body[name] = _field(name, number, owned)
    return json(body)


def routes():
    return [Route("/v2/PhoneNumbers/{number}", _lookup, methods=["GET"])]
