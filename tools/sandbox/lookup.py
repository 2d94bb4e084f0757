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


@api_any
async def _lookup(sandbox, request, account, params):
    number = unquote(request.path_params["number"]).strip()
    if number and number[0] != "+" and number.isdigit():
        number = "+" + number
    asked = [f.strip() for f in (params.get("Fields") or "").split(",") if f.strip()]
    unknown = [f for f in asked if f not in FIELDS]
    if unknown:
        raise TwilioError(
            60600, "Unknown Fields: %s (known: %s)" % (", ".join(unknown), ", ".join(FIELDS))
        )
    valid = is_phone_number(number)
    body = {name: None for name in FIELDS if name != "validation"}
    body.update(
        {
            "calling_country_code": "1" if number.startswith("+1") else None,
            "country_code": "US" if valid and number.startswith("+1") else None,
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
