"""Twilio's REST API beyond send(): one generic resource layer (create, fetch, list,
update, delete; Twilio's form encoding in, JSON out) and the named resources on it.

Imported only by programs that use it: `import utwilio` and send() never load it.
Every call returns the result dict send() returns (utwilio.result: the parsed
JSON under `data`); `raise_errors=True` raises TwilioError instead. docs/rest.md's
operations table maps each operation of Twilio's API we cover to the call that does it."""

import gc
import time

from utwilio import form, validate
from utwilio.errors import TransportError, TwilioError
from utwilio.twilio import API, Api

V = "/2010-04-01"
PAGE_SIZE = 10  # Twilio's is 50: a page of ten messages parses in ~20 KB of heap
MAX_PAGE_SIZE = 1000
DEADLINE = 30
# Transport failures before a byte of the request left the device: a POST may repeat.
UNSENT = (6, 7)
# Failures worth another try for a request that may safely repeat (GET, DELETE).
TRANSIENT = (6, 7, 18, 28, 52, 55, 56)
_sleep = time.sleep


def _name(key):
    """Python keyword -> Twilio parameter: date_sent_after -> DateSent>, from_ -> From.
    Names already in Twilio's spelling (To, DateSent<) pass unchanged."""
    if "A" <= key[:1] <= "Z":
        return key
    if key.endswith("_before"):
        return _name(key[:-7]) + "<"
    if key.endswith("_after"):
        return _name(key[:-6]) + ">"
    return "".join(w[:1].upper() + w[1:] for w in key.split("_"))


def _pairs(params):
    """{name: value} -> sorted [(TwilioName, text)]; a list repeats the name (MediaUrl),
    None is left out, booleans are true/false."""
    out = []
    for key in sorted(params, key=_name):
        value = params[key]
        if value is None:
            continue
        for one in value if isinstance(value, (list, tuple)) else (value,):
            out.append((_name(key), "true" if one is True else "false" if one is False
                        else str(one)))
    return out


def _query(path, params):
    pairs = _pairs(params)
    if not pairs:
        return path
    return path + ("&" if "?" in path else "?") + str(form.encode(pairs), "utf-8")


def _check_sid(what, sid, prefixes):
    """A SID goes into the URL path: nothing but its 34 letters and digits may."""
    if not isinstance(sid, str):
        raise TypeError("%s must be a str, got %s" % (what, type(sid).__name__))
    head = sid[:2]
    if prefixes and head not in prefixes:
        head = prefixes[0]
    elif not ("A" <= head[:1] <= "Z" and "A" <= head[1:2] <= "Z"):
        head = "XX"
    validate.sid(what, sid, head)


def _retry_after(headers):
    value = headers.get("retry-after", "")
    return int(value) if value.isdigit() else None


class Resource:
    """A Twilio list resource (…/Messages.json) and its instances (…/Messages/SM….json).
    `params` are Twilio's parameters in snake_case (`status_callback=`, `from_=`,
    `date_sent_after=`) or in Twilio's own spelling (`StatusCallback=`)."""

    def __init__(self, client, path, key=None, prefixes=()):
        self.client = client
        self.path = path
        self.key = key
        self.prefixes = prefixes

    def __repr__(self):
        return "<Resource %s>" % self.path

    def create(self, **params):
        return self.client.request("POST", self.path + ".json", params)

    def fetch(self, sid):
        return self.client.request("GET", self._instance(sid))

    def update(self, sid, **params):
        return self.client.request("POST", self._instance(sid), params)

    def delete(self, sid):
        return self.client.request("DELETE", self._instance(sid))

    def list(self, limit=None, page_size=None, **filters):
        """A lazy iterator over the records, fetching one page at a time (see Records)."""
        if page_size is None:
            page_size = PAGE_SIZE if limit is None else max(1, min(limit, PAGE_SIZE))
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError("page_size must be 1 to %d, got %r" % (MAX_PAGE_SIZE, page_size))
        filters["PageSize"] = page_size
        return Records(self.client, _query(self.path + ".json", filters), self.key, limit)

    def _instance(self, sid):
        _check_sid("sid", sid, self.prefixes)
        return "%s/%s.json" % (self.path, sid)


class Records:
    """Iterates a Twilio list, following `next_page_uri`: one page (parsed once) is in
    memory at a time, and no page is fetched past `limit` records. A failed page raises
    TwilioError with `raise_errors=True`; otherwise the iteration ends and `error`
    holds the failed result (check it: a short list may be a broken one)."""

    def __init__(self, client, path, key, limit=None):
        self.error = None
        self._client = client
        self._next = path
        self._key = key
        self._left = limit
        self._page = []
        self._i = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self._left is not None and self._left <= 0:
            raise StopIteration
        while self._i >= len(self._page):
            if self._next is None:
                raise StopIteration
            self._page = []  # let the old page go before the next one arrives
            self._load()
        record = self._page[self._i]
        self._page[self._i] = None
        self._i += 1
        if self._left is not None:
            self._left -= 1
        return record

    def _load(self):
        path, self._next, self._i = self._next, None, 0
        r = self._client.request("GET", path)
        data = r["data"]
        if r["code"] is not None or r["statuscode"] >= 300 or not isinstance(data, dict):
            status = r["statuscode"]
            if status in (27, 63) or (status < 300 and r["message"]):
                r["message"] += ": ask for fewer records per page (page_size=)"
            self.error = r
            if self._client.raise_errors:
                raise TwilioError(status, r["message"] or "not a Twilio list page", r["code"],
                                  r["more_info"], r)
            return
        self._next = data.get("next_page_uri")
        self._page = data.get(self._key) or []


class Messages(Resource):
    """SMS, MMS and WhatsApp messages, checked as send() checks them."""

    def create(self, to=None, body=None, from_=None, media_url=None, status_callback=None,
               messaging_service_sid=None, **params):
        validate.phone("to", to)
        if from_ is None and messaging_service_sid is None:
            raise ValueError("give the sender: from_='+1…' (a number you own) or "
                             "messaging_service_sid='MG…'")
        if from_ is not None:
            validate.sender("from_", from_)
            validate.same_channel(to, from_)
        if messaging_service_sid is not None:
            validate.sid("messaging_service_sid", messaging_service_sid, "MG")
        urls = validate.media_urls(media_url)
        validate.body(body or "", bool(urls))
        if status_callback is not None:
            validate.url("status_callback", status_callback)
        return Resource.create(self, To=to, From=from_, Body=body or None, MediaUrl=urls,
                               StatusCallback=status_callback,
                               MessagingServiceSid=messaging_service_sid, **params)

    def whatsapp(self, to, body=None, from_=None, media_url=None, **params):
        """create() over WhatsApp: `to` and `from_` get their `whatsapp:` prefix."""
        return self.create(_whatsapp(to), body, from_ and _whatsapp(from_), media_url,
                           **params)

    def redact(self, sid):
        """Blanks the body of a finished message (Twilio keeps the record)."""
        return self.update(sid, Body="")

    def media(self, message_sid):
        """The media of one message: list, fetch, delete."""
        return Resource(self.client, self._instance(message_sid)[:-5] + "/Media",
                        "media_list", ("ME",))


def _whatsapp(number):
    return number if number.startswith("whatsapp:") else "whatsapp:" + number


def _caller(field, value):
    if not (isinstance(value, str) and (value.startswith("client:") or
                                        value.startswith("sip:"))):
        validate.phone(field, value)


class Calls(Resource):
    """Voice calls: TwiML from `url` or inline `twiml` (or an `application_sid`)."""

    def create(self, to=None, from_=None, url=None, twiml=None, status_callback=None,
               status_callback_event=None, **params):
        _caller("to", to)
        _caller("from_", from_)
        app = params.get("application_sid") or params.get("ApplicationSid")
        given = [n for n, v in (("url", url), ("twiml", twiml), ("application_sid", app))
                 if v is not None]
        if len(given) != 1:
            raise ValueError("say what the call does with exactly one of url= (a TwiML URL), "
                             "twiml='<Response>…</Response>' or application_sid=; got %s"
                             % (", ".join(given) or "none"))
        for field, value in (("url", url), ("status_callback", status_callback)):
            if value is not None:
                validate.url(field, value)
        if isinstance(status_callback_event, str):
            status_callback_event = status_callback_event.split()
        return Resource.create(self, To=to, From=from_, Url=url, Twiml=twiml,
                               StatusCallback=status_callback,
                               StatusCallbackEvent=status_callback_event, **params)

    def cancel(self, sid):
        """Ends a call that is still queued or ringing (update(sid, status="completed")
        hangs up one in progress)."""
        return self.update(sid, Status="canceled")

    def recordings(self, call_sid):
        return Resource(self.client, self._instance(call_sid)[:-5] + "/Recordings",
                        "recordings", ("RE",))


class Accounts(Resource):
    """The account and its subaccounts; `client.accounts("AC…")` is a subaccount's
    resources, reached with the main account's credentials."""

    def fetch(self, sid=None):
        return Resource.fetch(self, sid or self.client.account_sid)

    def __call__(self, sid):
        _check_sid("account sid", sid, ("AC",))
        return Account(self.client, sid)


class Account:
    """The resources of one account, under /2010-04-01/Accounts/{sid}/."""

    def __init__(self, client, sid):
        self.client = client
        self.sid = sid

    def __repr__(self):
        return "<%s %s>" % (type(self).__name__, self.sid)

    def resource(self, path, key=None, prefixes=()):
        """Any resource under the account: resource("Applications", "applications", ("AP",))."""
        return Resource(self.client, "%s/Accounts/%s/%s" % (V, self.sid, path), key, prefixes)

    @property
    def messages(self):
        return Messages(self.client, "%s/Accounts/%s/Messages" % (V, self.sid), "messages",
                        ("SM", "MM"))

    @property
    def calls(self):
        return Calls(self.client, "%s/Accounts/%s/Calls" % (V, self.sid), "calls", ("CA",))

    @property
    def recordings(self):
        return self.resource("Recordings", "recordings", ("RE",))

    @property
    def incoming_phone_numbers(self):
        return self.resource("IncomingPhoneNumbers", "incoming_phone_numbers", ("PN",))

    def available_phone_numbers(self, country="US", kind="Local"):
        """Numbers to buy (list); buy one with incoming_phone_numbers.create(phone_number=).
        `kind`: Local, TollFree or Mobile."""
        if not (len(country) == 2 and country.isalpha() and kind.isalpha()):
            raise ValueError("country must be an ISO code like 'US' and kind Local, TollFree "
                             "or Mobile, got %r, %r" % (country, kind))
        return self.resource("AvailablePhoneNumbers/%s/%s" % (country, kind),
                             "available_phone_numbers")

    @property
    def usage_records(self):
        return self.resource("Usage/Records", "usage_records")

    @property
    def usage_triggers(self):
        return self.resource("Usage/Triggers", "usage_triggers", ("UT",))

    @property
    def keys(self):
        return self.resource("Keys", "keys", ("SK",))

    @property
    def tokens(self):
        """Network Traversal Service tokens (STUN/TURN): tokens.create(ttl=3600)."""
        return self.resource("Tokens")


class Client(Account, Api):
    """`Client(account_sid, auth_token)`; with `api_key="SK…"` the second argument is
    that key's secret; with neither, the credentials named `credentials` (default
    "default", see utwilio.creds). Other options as for Twilio(), plus `hosts`
    ({"lookups": url}) and `deadline` (seconds to keep retrying 429 and 503)."""

    def __init__(self, account_sid=None, auth_token=None, *, api_key=None, credentials=None,
                 base_url=API, hosts=None, cadata=None, verify=True, timeout=15,
                 transport=None, raise_errors=False, deadline=DEADLINE, keep_alive=False):
        if account_sid is None:
            from utwilio import creds

            account_sid, auth_token, api_key = creds.get(credentials or "default")
        elif credentials is not None:
            raise ValueError("give either account_sid and auth_token or credentials=, not both")
        Api.__init__(self, account_sid, auth_token, api_key, base_url, cadata, verify,
                     timeout, transport, raise_errors, keep_alive)
        Account.__init__(self, self, account_sid)
        self.hosts = {}
        hosts = hosts or {}
        for host in hosts:
            self.hosts[host] = validate.base_url(hosts[host])
        self.deadline = deadline

    @property
    def accounts(self):
        return Accounts(self, V + "/Accounts", "accounts", ("AC",))

    def lookup(self, phone_number, fields=None, **params):
        """Lookup v2: `fields` is a list or a comma-separated str (caller_name,
        line_type_intelligence, …). A national number needs country_code="US"."""
        if "country_code" not in params:
            validate.phone("phone_number", phone_number)
        if isinstance(fields, (list, tuple)):
            fields = ",".join(fields)
        # form.encode writes a real '+' as %2B, so a '+' left over was a space.
        number = str(form.encode([("", phone_number)]), "utf-8")[1:].replace("+", "%20")
        params["Fields"] = fields
        return self.request("GET", "/v2/PhoneNumbers/" + number, params, "lookups")

    def url(self, host, path):
        """`host` "api", "lookups", …: the base URL from `hosts`, else base_url when it
        is not Twilio's (the sandbox serves every host), else https://{host}.twilio.com."""
        base = self.hosts.get(host)
        if base is None:
            base = (self.base_url if host == "api" or self.base_url != API
                    else "https://%s.twilio.com" % host)
        return base + path

    def request(self, method, path, params=None, host="api"):
        """One REST call -> result dict; `params` go in the query (GET, DELETE) or the
        form body (POST). 429 and 503 are tried again after 1, 2, 4… s (longer if
        Retry-After says so) while `deadline` allows, and so is a failure that cannot
        have reached Twilio. A POST that may have reached it is never repeated: a
        duplicate SMS costs money (docs/rest.md)."""
        body = None
        if method == "POST":
            body = form.encode(_pairs(params or {}))
        elif params:
            path = _query(path, params)
        return self.finish(self._send(method, self.url(host, path), body))

    def _send(self, method, url, body):
        start = time.ticks_ms()
        pause = 1
        while True:
            gc.collect()  # as in Api.call()
            try:
                answer = self.transport.request(method, url, self.headers, body)
                if answer[0] not in (429, 503):
                    return answer
                wait = _retry_after(answer[1]) or 0
            except TransportError as e:
                if e.code not in (UNSENT if method == "POST" else TRANSIENT):
                    message = e.message
                    if method == "POST" and e.code not in (35, 60):  # 35, 60: handshake
                        message += ("; the request may have reached Twilio, so it was not "
                                    "repeated: check (e.g. messages.list) before sending again")
                    return TransportError(e.code, message, e.sent)
                answer, wait = e, 0
            wait = max(wait, pause)  # Retry-After is the least we wait
            pause *= 2
            if time.ticks_diff(time.ticks_ms(), start) + wait * 1000 > self.deadline * 1000:
                return answer
            _sleep(wait)
