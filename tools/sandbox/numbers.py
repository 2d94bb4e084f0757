"""IncomingPhoneNumbers: the numbers an account owns and where their webhooks go."""

from starlette.routing import Route

from .endpoints import api, json, no_content, owned, setting
from .errors import TwilioError
from .formats import API_VERSION, is_phone_number, new_sid, rfc2822, utcnow
from .paging import paginate

ACCOUNT = "/2010-04-01/Accounts/{account_sid}"
# IncomingPhoneNumber parameter -> JSON field, for create and update.
SETTABLE = {
    "FriendlyName": "friendly_name",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url",
    "SmsFallbackMethod": "sms_fallback_method",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
}


TOLL_FREE = ("800", "833", "844", "855", "866", "877", "888")
# AvailablePhoneNumbers / IncomingPhoneNumbers subresource -> the number's `type`.
KINDS = {"Local": "local", "TollFree": "toll-free", "Mobile": "mobile"}


def number_type(phone_number):
    return "toll-free" if phone_number[2:5] in TOLL_FREE and len(phone_number) == 12 else "local"


def friendly_name(number):
    if number.startswith("+1") and len(number) == 12:
        return "(%s) %s-%s" % (number[2:5], number[5:8], number[8:])
    return number


def number_json(account_sid, sid, phone_number, now):
    path = "/%s/Accounts/%s/IncomingPhoneNumbers/%s" % (API_VERSION, account_sid, sid)
    return {
        "account_sid": account_sid,
        "address_requirements": "none",
        "address_sid": None,
        "api_version": API_VERSION,
        "beta": False,
        "bundle_sid": None,
        "capabilities": {"fax": False, "mms": True, "sms": True, "voice": True},
        "date_created": rfc2822(now),
        "date_updated": rfc2822(now),
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "emergency_status": "Inactive",
        "friendly_name": friendly_name(phone_number),
        "identity_sid": None,
        "origin": "twilio",
        "phone_number": phone_number,
        "sid": sid,
        "sms_application_sid": "",
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": "POST",
        "sms_url": "",
        "status": "in-use",
        "status_callback": "",
        "status_callback_method": "POST",
        "subresource_uris": {"assigned_add_ons": path + "/AssignedAddOns.json"},
        "trunk_sid": None,
        "type": number_type(phone_number),
        "uri": path + ".json",
        "voice_application_sid": "",
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None,
        "voice_method": "POST",
        "voice_receive_mode": "voice",
        "voice_url": None,
    }


def find(store, phone_number):
    """The IncomingPhoneNumber record for a number, whichever account owns it."""
    for record in store.all("incoming_phone_number"):
        if record.data["phone_number"] == phone_number:
            return record
    return None


def number_of(store, resource_sid):
    """The account's own number a message or call is about: the one texted or called
    for inbound traffic, the sender otherwise; None when there is none."""
    record = None
    if resource_sid:
        record = store.get("message", resource_sid) or store.get("call", resource_sid)
    if record is None:
        return None
    inbound = record.data.get("direction") == "inbound"
    address = record.data["to"] if inbound else record.data["from"]
    return find(store, address.split(":", 1)[-1] if address.startswith("whatsapp:") else address)


def ensure_number(store, account_sid, phone_number):
    record = find(store, phone_number)
    if record is None:
        sid = new_sid("PN")
        record = store.insert(
            "incoming_phone_number",
            sid,
            account_sid,
            number_json(account_sid, sid, phone_number, utcnow()),
        )
    return record


def apply(record, params):
    for name, field in SETTABLE.items():
        if params.get(name) is not None:
            record.data[field] = setting(name, params[name])


def available(store, country, area_code, contains, limit, kind="Local"):
    """Numbers anyone could buy: +1 {area} 555 01xx that nobody owns yet; toll-free
    ones in an 8xx area (800 unless AreaCode names another toll-free one); no Mobile
    ones (the sandbox's US numbers are local or toll-free)."""
    if country != "US" or kind not in ("Local", "TollFree"):
        return []
    if kind == "TollFree":
        area = area_code if area_code in TOLL_FREE else "800"
    else:
        area = area_code if area_code and area_code not in TOLL_FREE else "555"
    found = []
    for line in range(100, 200):
        number = "+1%s55501%02d" % (area, line - 100)
        if find(store, number) is None and (not contains or contains in number):
            found.append(number)
        if len(found) >= limit:
            break
    return found


def _available_json(number):
    return {
        "address_requirements": "none",
        "beta": False,
        "capabilities": {"MMS": True, "SMS": True, "voice": True, "fax": False},
        "friendly_name": friendly_name(number),
        "iso_country": "US",
        "lata": None,
        "latitude": None,
        "locality": None,
        "longitude": None,
        "phone_number": number,
        "postal_code": None,
        "rate_center": None,
        "region": None,
    }


@api
async def _list(sandbox, request, account, params):
    """IncomingPhoneNumbers.json, or its Local/TollFree/Mobile.json: only numbers of that type."""
    store = sandbox.store
    kind = request.url.path.rsplit("/", 1)[-1][: -len(".json")]
    kind = kind if kind in KINDS else None
    if request.method == "POST":
        number = params.get("PhoneNumber")
        if not number and params.get("AreaCode"):
            choices = available(store, "US", params["AreaCode"], None, 1, kind or "Local")
            number = choices[0] if choices else None
        if not number:
            raise TwilioError(
                21452,
                "No phone numbers found in area code %s" % params.get("AreaCode")
                if params.get("AreaCode")
                else "PhoneNumber or AreaCode is required",
            )
        if not is_phone_number(number):
            raise TwilioError(21421, "PhoneNumber %s is invalid" % number)
        if find(store, number) is not None:
            raise TwilioError(21422, "PhoneNumber %s is not available" % number)
        if kind and KINDS[kind] != number_type(number):
            raise TwilioError(21422, "PhoneNumber %s is not a %s number" % (number, KINDS[kind]))
        record = ensure_number(store, account.sid, number)
        apply(record, params)
        store.update(record)
        return json(record.data, 201)
    records = store.all("incoming_phone_number", account.sid)
    if kind:
        records = [r for r in records if r.data["type"] == KINDS[kind]]
    if params.get("PhoneNumber"):
        records = [r for r in records if params["PhoneNumber"] in r.data["phone_number"]]
    if params.get("FriendlyName"):
        records = [r for r in records if r.data["friendly_name"] == params["FriendlyName"]]
    return json(
        paginate(params, records, request.url.path, "incoming_phone_numbers", lambda r: r.data)
    )


@api
async def _instance(sandbox, request, account, params):
    record = owned(
        sandbox.store,
        "incoming_phone_number",
        request.path_params["sid"],
        account,
        request.url.path,
    )
    if request.method == "DELETE":
        sandbox.store.delete("incoming_phone_number", record.sid)
        for held in sandbox.store.all("service_number", account.sid):
            if held.data["sid"] == record.sid:  # a released number leaves its service
                sandbox.store.delete("service_number", held.sid)
        return no_content()
    if request.method == "POST":
        apply(record, params)
        record.data["date_updated"] = rfc2822(utcnow())
        sandbox.store.update(record)
    return json(record.data)


@api
async def _available_countries(sandbox, request, account, params):
    path = request.url.path[: -len(".json")]
    return json(
        {
            "countries": [
                {
                    "country_code": "US",
                    "country": "United States",
                    "beta": False,
                    "uri": path + "/US.json",
                    "subresource_uris": {
                        "local": path + "/US/Local.json",
                        "toll_free": path + "/US/TollFree.json",
                        "mobile": path + "/US/Mobile.json",
                    },
                }
            ],
            "uri": request.url.path,
        }
    )


@api
async def _available_local(sandbox, request, account, params):
    limit = min(int(params.get("PageSize") or 50), 1000)
    numbers = available(
        sandbox.store,
        request.path_params["country"],
        params.get("AreaCode"),
        params.get("Contains"),
        limit,
        request.path_params["kind"],
    )
    return json(
        {"available_phone_numbers": [_available_json(n) for n in numbers], "uri": request.url.path}
    )


def routes():
    return [
        Route(ACCOUNT + "/IncomingPhoneNumbers.json", _list, methods=["GET", "POST"]),
        *[
            Route(
                ACCOUNT + "/IncomingPhoneNumbers/%s.json" % kind,
                _list,
                methods=["GET", "POST"],
                name="numbers_" + kind,
            )
            for kind in KINDS
        ],
        Route(
            ACCOUNT + "/IncomingPhoneNumbers/{sid}.json",
            _instance,
            methods=["GET", "POST", "DELETE"],
        ),
        Route(ACCOUNT + "/AvailablePhoneNumbers.json", _available_countries, methods=["GET"]),
        Route(
            ACCOUNT + "/AvailablePhoneNumbers/{country}/{kind}.json",
            _available_local,
            methods=["GET"],
        ),
    ]
