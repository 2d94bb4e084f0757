"""The plainer 2010-04-01 account resources, each described by a Spec: Applications,
Queues, OutgoingCallerIds, SMS/ShortCodes, ConnectApps, Conferences, Transcriptions and
Notifications. Each gets Twilio's path, list key, sid prefix, JSON fields, the
operations Twilio offers on it (others answer 405/20004), filters and paging.

Where Twilio creates a resource itself, so does the sandbox: a conference when a call's
TwiML <Dial>s into one, a transcription for <Record transcribe="true">, a notification
for each debugger alert (the same record the Monitor API lists), and one short code and
one Connect App for the main account (Twilio provisions those through its console)."""

from starlette.routing import Route

from .dates import by_day
from .endpoints import api, json, no_content, owned, setting
from .errors import TwilioError
from .formats import API_VERSION, from_timestamp, is_phone_number, new_sid, rfc2822
from .paging import paginate

ACCOUNT = "/2010-04-01/Accounts/{account_sid}"


def snake(name):
    """FriendlyName -> friendly_name, the JSON field a parameter sets."""
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out += "_"
        out += ch.lower()
    return out


class Spec:
    """One resource: `path` under the account, `kind` in the store, list `key`, sid
    `prefix`, default JSON `fields`, parameters create/update may set (`settable`),
    list filters (parameter -> field), which of create/update/delete Twilio offers and
    whether it carries date_created/date_updated (a ConnectApp does not)."""

    def __init__(
        self,
        path,
        kind,
        key,
        prefix,
        fields,
        settable=(),
        filters=None,
        create=False,
        update=False,
        delete=False,
        required=(),
        subresources=(),
        dated=True,
    ):
        self.path, self.kind, self.key, self.prefix = path, kind, key, prefix
        self.fields, self.settable = fields, settable
        self.filters = filters or {}
        self.create, self.update, self.delete = create, update, delete
        self.required, self.subresources, self.dated = required, subresources, dated

    def base(self, account_sid):
        return "/%s/Accounts/%s/%s" % (API_VERSION, account_sid, self.path)

    def new(self, sandbox, account_sid, params=(), sid=None, parent_sid=None, **fields):
        """Store a new record with the defaults, `fields` and the settable `params`."""
        now = sandbox.scheduler.now()
        sid = sid or new_sid(self.prefix)
        base = "%s/%s" % (self.base(account_sid), sid)
        data = dict(self.fields)
        data.update(account_sid=account_sid, sid=sid, uri=base + ".json")
        if self.dated:
            data["date_created"] = data["date_updated"] = rfc2822(from_timestamp(now))
        if "api_version" in data:
            data["api_version"] = API_VERSION
        if self.subresources:
            data["subresource_uris"] = {
                key: "%s/%s.json" % (base, name) for key, name in self.subresources
            }
        data.update(fields)
        apply(self, data, params)
        return sandbox.store.insert(
            self.kind, sid, account_sid, data, parent_sid=parent_sid, created=now
        )


def apply(spec, data, params):
    """Set the fields named by `params`, checked as Twilio checks them."""
    for name in spec.settable:
        value = params.get(name) if params else None
        if value is not None:
            data[snake(name)] = setting(name, value, spec.fields.get(snake(name)))


_URLS = ("sms_fallback_url", "sms_url", "voice_fallback_url", "voice_url", "status_callback")
APPLICATIONS = Spec(
    "Applications",
    "application",
    "applications",
    "AP",
    dict(
        {name: None for name in _URLS},
        api_version=API_VERSION,
        friendly_name=None,
        message_status_callback=None,
        public_application_connect_enabled=False,
        sms_fallback_method="POST",
        sms_method="POST",
        sms_status_callback=None,
        status_callback_method="POST",
        voice_caller_id_lookup=False,
        voice_fallback_method="POST",
        voice_method="POST",
    ),
    settable=(
        "FriendlyName",
        "ApiVersion",
        "VoiceUrl",
        "VoiceMethod",
        "VoiceFallbackUrl",
        "VoiceFallbackMethod",
        "StatusCallback",
        "StatusCallbackMethod",
        "VoiceCallerIdLookup",
        "SmsUrl",
        "SmsMethod",
        "SmsFallbackUrl",
        "SmsFallbackMethod",
        "SmsStatusCallback",
        "MessageStatusCallback",
        "PublicApplicationConnectEnabled",
    ),
    filters={"FriendlyName": "friendly_name"},
    create=True,
    update=True,
    delete=True,
)
QUEUES = Spec(
    "Queues",
    "queue",
    "queues",
    "QU",
    {"average_wait_time": 0, "current_size": 0, "friendly_name": None, "max_size": 1000},
    settable=("FriendlyName", "MaxSize"),
    create=True,
    update=True,
    delete=True,
    required=("FriendlyName",),
)
OUTGOING_CALLER_IDS = Spec(
    "OutgoingCallerIds",
    "outgoing_caller_id",
    "outgoing_caller_ids",
    "PN",
    {"friendly_name": None, "phone_number": None},
    settable=("FriendlyName",),
    filters={"PhoneNumber": "phone_number", "FriendlyName": "friendly_name"},
    update=True,
    delete=True,
)
SHORT_CODES = Spec(
    "SMS/ShortCodes",
    "short_code",
    "short_codes",
    "SC",
    {
        "api_version": API_VERSION,
        "friendly_name": None,
        "short_code": None,
        "sms_fallback_method": "POST",
        "sms_fallback_url": None,
        "sms_method": "POST",
        "sms_url": None,
    },
    settable=(
        "FriendlyName",
        "ApiVersion",
        "SmsUrl",
        "SmsMethod",
        "SmsFallbackUrl",
        "SmsFallbackMethod",
    ),
    filters={"FriendlyName": "friendly_name", "ShortCode": "short_code"},
    update=True,
)
CONNECT_APPS = Spec(
    "ConnectApps",
    "connect_app",
    "connect_apps",
    "CN",
    {
        "authorize_redirect_url": None,
        "company_name": None,
        "deauthorize_callback_method": "POST",
        "deauthorize_callback_url": None,
        "description": None,
        "friendly_name": None,
        "homepage_url": None,
        "permissions": ["get-all"],
    },
    settable=(
        "AuthorizeRedirectUrl",
        "CompanyName",
        "DeauthorizeCallbackMethod",
        "DeauthorizeCallbackUrl",
        "Description",
        "FriendlyName",
        "HomepageUrl",
    ),
    update=True,
    delete=True,
    dated=False,
)
CONFERENCES = Spec(
    "Conferences",
    "conference",
    "conferences",
    "CF",
    {
        "api_version": API_VERSION,
        "call_sid_ending_conference": None,
        "friendly_name": None,
        "reason_conference_ended": None,
        "region": "us1",
        "status": "in-progress",
    },
    filters={"FriendlyName": "friendly_name", "Status": "status"},
    update=True,
    subresources=(("participants", "Participants"), ("recordings", "Recordings")),
)
TRANSCRIPTIONS = Spec(
    "Transcriptions",
    "transcription",
    "transcriptions",
    "TR",
    {
        "api_version": API_VERSION,
        "duration": "0",
        "price": "-0.05000",
        "price_unit": "USD",
        "recording_sid": None,
        "status": "completed",
        "transcription_text": None,
        "type": "fast",
    },
    delete=True,
)
SPECS = (
    APPLICATIONS,
    QUEUES,
    OUTGOING_CALLER_IDS,
    SHORT_CODES,
    CONNECT_APPS,
    CONFERENCES,
    TRANSCRIPTIONS,
)


def seed(sandbox, account_sid):
    """What Twilio's console would have given the main account: a short code, a Connect App."""
    store = sandbox.store
    if not store.all("short_code", account_sid):
        SHORT_CODES.new(sandbox, account_sid, short_code="55555", friendly_name="55555", sms_url="")
    if not store.all("connect_app", account_sid):
        CONNECT_APPS.new(
            sandbox,
            account_sid,
            friendly_name="Sandbox Connect App",
            company_name="utwilio sandbox",
            description="A Connect App to list and update",
            homepage_url="https://example.com/",
            authorize_redirect_url="https://example.com/auth",
        )


def join_conference(sandbox, call, name):
    """A call's <Dial><Conference>name</Conference></Dial>: the conference, started if new."""
    for record in sandbox.store.all("conference", call.account_sid):
        if record.data["friendly_name"] == name and record.data["status"] == "in-progress":
            record.private.setdefault("calls", []).append(call.sid)
            sandbox.store.update(record)
            return record
    record = CONFERENCES.new(sandbox, call.account_sid, friendly_name=name)
    record.private["calls"] = [call.sid]
    sandbox.store.update(record)
    return record


def leave_conferences(sandbox, call):
    """The call ended: a conference it was the last caller in ends too."""
    for record in sandbox.store.all("conference", call.account_sid):
        calls = record.private.get("calls", [])
        if call.sid in calls and record.data["status"] == "in-progress":
            calls.remove(call.sid)
            if not calls:
                _end_conference(sandbox, record, "last-participant-left", call.sid)
            sandbox.store.update(record)


def _end_conference(sandbox, record, reason, call_sid=None):
    record.data.update(
        status="completed",
        reason_conference_ended=reason,
        call_sid_ending_conference=call_sid,
        date_updated=rfc2822(from_timestamp(sandbox.scheduler.now())),
    )
    sandbox.store.update(record)


def transcribe(sandbox, recording):
    return TRANSCRIPTIONS.new(
        sandbox,
        recording.account_sid,
        parent_sid=recording.sid,
        recording_sid=recording.sid,
        duration=recording.data["duration"],
        transcription_text="Sandbox transcription of recording %s." % recording.sid,
    )


def _list_endpoint(spec):
    @api
    async def endpoint(sandbox, request, account, params):
        if request.method == "POST":
            for name in spec.required:
                if not params.get(name):
                    raise TwilioError(
                        20001, "Missing required parameter %s in the post body" % name
                    )
            return json(spec.new(sandbox, account.sid, params).data, 201)
        records = sandbox.store.all(spec.kind, account.sid)
        for name, field in spec.filters.items():
            if params.get(name):
                records = [r for r in records if r.data[field] == params[name]]
        return json(paginate(params, records, request.url.path, spec.key, lambda r: r.data))

    return endpoint


def _instance_endpoint(spec):
    @api
    async def endpoint(sandbox, request, account, params):
        record = owned(
            sandbox.store, spec.kind, request.path_params["sid"], account, request.url.path
        )
        if request.method == "DELETE":
            sandbox.store.delete(spec.kind, record.sid)
            return no_content()
        if request.method == "POST":
            if spec is CONFERENCES:
                _update_conference(sandbox, record, params)
            apply(spec, record.data, params)
            if spec.dated:
                record.data["date_updated"] = rfc2822(from_timestamp(sandbox.scheduler.now()))
            sandbox.store.update(record)
        return json(record.data)

    return endpoint


def _update_conference(sandbox, record, params):
    status = params.get("Status")
    if status is None:
        return
    if status != "completed":
        raise TwilioError(20001, "Status can only be completed, got %r" % status)
    if record.data["status"] == "in-progress":  # ending an ended one changes nothing
        _end_conference(sandbox, record, "conference-ended-via-api")


@api
async def _validation_request(sandbox, request, account, params):
    """POST OutgoingCallerIds.json: Twilio calls the number and, once the code is keyed
    in, adds the caller ID; the sandbox's phone keys it in at once."""
    number = params.get("PhoneNumber", "")
    if not is_phone_number(number):
        raise TwilioError(21211, "The phone number %r is not a valid phone number." % number)
    for record in sandbox.store.all("outgoing_caller_id", account.sid):
        if record.data["phone_number"] == number:
            raise TwilioError(21450, "Phone number %s is already verified." % number)
    friendly = params.get("FriendlyName") or number
    OUTGOING_CALLER_IDS.new(sandbox, account.sid, phone_number=number, friendly_name=friendly)
    return json(
        {
            "account_sid": account.sid,
            "call_sid": new_sid("CA"),
            "friendly_name": friendly,
            "phone_number": number,
            "validation_code": "%06d" % (int(sandbox.scheduler.now()) % 1000000),
        },
        201,
    )


def _notification(record):
    """A debugger alert as the 2010-04-01 Notifications resource shows it."""
    data = record.data
    path = "/%s/Accounts/%s/Notifications/%s" % (API_VERSION, record.account_sid, record.sid)
    created = rfc2822(from_timestamp(record.created))
    resource = data.get("resource_sid") or ""
    return {
        "account_sid": record.account_sid,
        "api_version": API_VERSION,
        "call_sid": resource if resource.startswith("CA") else None,
        "date_created": created,
        "date_updated": created,
        "error_code": data["error_code"],
        "log": "0" if data["log_level"] == "error" else "1",
        "message_date": created,
        "message_text": data["alert_text"],
        "more_info": data["more_info"],
        "request_method": data["request_method"],
        "request_url": data["request_url"],
        "request_variables": data["request_variables"],
        "response_body": data["response_body"],
        "response_headers": data["response_headers"],
        "sid": record.sid,
        "uri": path + ".json",
    }


@api
async def _notifications(sandbox, request, account, params):
    records = sandbox.store.all("alert", account.sid)
    if params.get("Log"):
        records = [r for r in records if _notification(r)["log"] == params["Log"]]
    records = by_day(records, params, "MessageDate", lambda r: r.created)
    return json(paginate(params, records, request.url.path, "notifications", _notification))


@api
async def _notification_instance(sandbox, request, account, params):
    record = owned(sandbox.store, "alert", request.path_params["sid"], account, request.url.path)
    return json(_notification(record))


def routes():
    found = []
    for spec in SPECS:
        list_methods = ["GET", "POST"] if spec.create else ["GET"]
        if spec is OUTGOING_CALLER_IDS:
            found.append(
                Route(
                    ACCOUNT + "/OutgoingCallerIds.json",
                    _validation_request,
                    methods=["POST"],
                    name="validation_request",
                )
            )
        found.append(
            Route(
                "%s/%s.json" % (ACCOUNT, spec.path),
                _list_endpoint(spec),
                methods=list_methods,
                name=spec.kind + "_list",
            )
        )
        methods = ["GET"] + ["POST"] * spec.update + ["DELETE"] * spec.delete
        found.append(
            Route(
                "%s/%s/{sid}.json" % (ACCOUNT, spec.path),
                _instance_endpoint(spec),
                methods=methods,
                name=spec.kind,
            )
        )
    found += [
        Route(ACCOUNT + "/Notifications.json", _notifications, methods=["GET"]),
        Route(ACCOUNT + "/Notifications/{sid}.json", _notification_instance, methods=["GET"]),
    ]
    return found
