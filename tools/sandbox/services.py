"""Messaging Services (messaging.twilio.com/v1/Services) and their PhoneNumbers: the v1
shapes (ISO 8601 dates, absolute `url`, `links`, paging under `meta`)."""

from starlette.routing import Route

from .endpoints import api_any, json, no_content, setting
from .errors import TwilioError, not_found
from .formats import from_timestamp, iso8601, new_sid
from .numbers import number_type
from .paging import paginate_v1

SETTABLE = {
    "FriendlyName": "friendly_name",
    "InboundRequestUrl": "inbound_request_url",
    "InboundMethod": "inbound_method",
    "FallbackUrl": "fallback_url",
    "FallbackMethod": "fallback_method",
    "StatusCallback": "status_callback",
    "StickySender": "sticky_sender",
    "MmsConverter": "mms_converter",
    "SmartEncoding": "smart_encoding",
    "FallbackToLongCode": "fallback_to_long_code",
    "AreaCodeGeomatch": "area_code_geomatch",
    "ValidityPeriod": "validity_period",
    "SynchronousValidation": "synchronous_validation",
    "UseInboundWebhookOnNumber": "use_inbound_webhook_on_number",
}
# links key -> path under the service, in Twilio's order
_LINKS = {
    "phone_numbers": "PhoneNumbers",
    "short_codes": "ShortCodes",
    "alpha_senders": "AlphaSenders",
    "messages": "Messages",
    "us_app_to_person": "Compliance/Usa2p",
    "us_app_to_person_usecases": "Compliance/Usa2p/Usecases",
    "channel_senders": "ChannelSenders",
    "destination_alpha_senders": "DestinationAlphaSenders",
}


def _base(request):
    return str(request.base_url).rstrip("/")


def _service_json(record, request):
    data = dict(record.data)
    url = "%s/v1/Services/%s" % (_base(request), record.sid)
    data["url"] = url
    data["links"] = {key: "%s/%s" % (url, path) for key, path in _LINKS.items()}
    return data


def _apply(data, params):
    for name, field in SETTABLE.items():
        value = params.get(name)
        if value is None:
            continue
        if name == "ValidityPeriod" and not (value.isdigit() and 1 <= int(value) <= 36000):
            raise TwilioError(21624, "ValidityPeriod must be 1 to 36000, got %r" % value)
        data[field] = setting(name, value, data[field])


def create(sandbox, account_sid, params, sid=None):
    """A new Messaging Service (FriendlyName required, as at Twilio)."""
    if not params.get("FriendlyName"):
        raise TwilioError(20001, "Missing required parameter FriendlyName in the post body")
    now = iso8601(from_timestamp(sandbox.scheduler.now()))
    sid = sid or new_sid("MG")
    data = {
        "account_sid": account_sid,
        "area_code_geomatch": True,
        "date_created": now,
        "date_updated": now,
        "fallback_method": "POST",
        "fallback_to_long_code": True,
        "fallback_url": None,
        "friendly_name": None,
        "inbound_method": "POST",
        "inbound_request_url": None,
        "mms_converter": True,
        "scan_message_content": "inherit",
        "sid": sid,
        "smart_encoding": True,
        "status_callback": None,
        "sticky_sender": True,
        "synchronous_validation": False,
        "us_app_to_person_registered": False,
        "use_inbound_webhook_on_number": False,
        "usecase": "undeclared",
        "validity_period": 36000,
    }
    _apply(data, params)
    return sandbox.store.insert("service", sid, account_sid, data, created=sandbox.scheduler.now())


def _service(sandbox, request, account):
    record = sandbox.store.get("service", request.path_params["sid"])
    if record is None or record.account_sid != account.sid:
        raise not_found(request.url.path)
    return record


@api_any
async def _list(sandbox, request, account, params):
    if request.method == "POST":
        return json(_service_json(create(sandbox, account.sid, params), request), 201)
    records = sandbox.store.all("service", account.sid)
    render = lambda r: _service_json(r, request)  # noqa: E731
    return json(paginate_v1(params, records, request, "services", render))


@api_any
async def _instance(sandbox, request, account, params):
    record = _service(sandbox, request, account)
    if request.method == "DELETE":
        for number in sandbox.store.all("service_number", account.sid, parent_sid=record.sid):
            sandbox.store.delete("service_number", number.sid)
        sandbox.store.delete("service", record.sid)
        return no_content()
    if request.method == "POST":
        _apply(record.data, params)
        record.data["date_updated"] = iso8601(from_timestamp(sandbox.scheduler.now()))
        sandbox.store.update(record)
    return json(_service_json(record, request))


def _number_json(record, request):
    data = dict(record.data)
    data["url"] = "%s/v1/Services/%s/PhoneNumbers/%s" % (
        _base(request),
        data["service_sid"],
        data["sid"],
    )
    return data


def add_number(sandbox, service, pn):
    """Put IncomingPhoneNumber `pn` in `service`; a number is in one service at most."""
    store = sandbox.store
    for other in store.all("service_number", service.account_sid):
        if other.data["sid"] == pn.sid:
            raise TwilioError(
                21712,
                "Phone Number %s is already in Messaging Service %s: remove it from there first"
                % (pn.data["phone_number"], other.parent_sid),
            )
    now = iso8601(from_timestamp(sandbox.scheduler.now()))
    local = number_type(pn.data["phone_number"]) == "local"
    data = {
        "account_sid": service.account_sid,
        "capabilities": ["SMS", "MMS", "Voice"] if local else ["SMS", "Voice"],
        "country_code": "US",
        "date_created": now,
        "date_updated": now,
        "phone_number": pn.data["phone_number"],
        "service_sid": service.sid,
        "sid": pn.sid,
    }
    return store.insert(
        "service_number",
        "%s:%s" % (service.sid, pn.sid),  # its sid is the PN's, unique only per service
        service.account_sid,
        data,
        parent_sid=service.sid,
        created=sandbox.scheduler.now(),
    )


def ensure_default(sandbox, account_sid, sid, numbers):
    """The account's Messaging Service `sid`, made with `numbers` if it does not exist."""
    if sandbox.store.get("service", sid) is not None:
        return
    service = create(sandbox, account_sid, {"FriendlyName": "Sandbox Messaging Service"}, sid)
    for number in numbers:
        add_number(sandbox, service, number)


@api_any
async def _numbers(sandbox, request, account, params):
    service = _service(sandbox, request, account)
    store = sandbox.store
    if request.method == "POST":
        pn = store.get("incoming_phone_number", params.get("PhoneNumberSid") or "")
        if pn is None or pn.account_sid != account.sid:
            raise TwilioError(
                21421,
                "The PhoneNumberSid %r is not a phone number of this account"
                % params.get("PhoneNumberSid"),
            )
        record = add_number(sandbox, service, pn)
        return json(_number_json(record, request), 201)
    records = store.all("service_number", account.sid, parent_sid=service.sid)
    render = lambda r: _number_json(r, request)  # noqa: E731
    return json(paginate_v1(params, records, request, "phone_numbers", render))


@api_any
async def _number(sandbox, request, account, params):
    service = _service(sandbox, request, account)
    key = "%s:%s" % (service.sid, request.path_params["number_sid"])
    record = sandbox.store.get("service_number", key)
    if record is None or record.parent_sid != service.sid:
        raise not_found(request.url.path)
    if request.method == "DELETE":
        sandbox.store.delete("service_number", record.sid)
        return no_content()
    return json(_number_json(record, request))


def sender(store, account_sid, service_sid):
    """The first number of a Messaging Service the account owns, or None."""
    for record in store.all(
        "service_number", account_sid, parent_sid=service_sid, newest_first=False
    ):
        return record.data["phone_number"]
    return None


def routes():
    return [
        Route("/v1/Services", _list, methods=["GET", "POST"]),
        Route("/v1/Services/{sid}", _instance, methods=["GET", "POST", "DELETE"]),
        Route("/v1/Services/{sid}/PhoneNumbers", _numbers, methods=["GET", "POST"]),
        Route("/v1/Services/{sid}/PhoneNumbers/{number_sid}", _number, methods=["GET", "DELETE"]),
    ]
