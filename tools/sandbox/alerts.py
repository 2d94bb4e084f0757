"""The debugger: alerts Twilio records when a webhook fails or returns bad TwiML,
listed by the Monitor API (/v1/Alerts) as on monitor.twilio.com."""

from urllib.parse import urlencode

from starlette.routing import Route

from .endpoints import api_any, json
from .errors import not_found
from .formats import API_VERSION, from_timestamp, iso8601, new_sid
from .paging import paginate_v1

MESSAGES = {
    11200: "HTTP retrieval failure",
    11205: "HTTP connection failure",
    12100: "Document parse failure",
    12200: "Schema validation warning",
    12300: "Invalid Content-Type",
}


def record(
    sandbox,
    account_sid,
    code,
    detail,
    url="",
    method="POST",
    params=(),
    response="",
    resource_sid=None,
    level="error",
):
    now = from_timestamp(sandbox.scheduler.now())
    sid = new_sid("NO")
    data = {
        "account_sid": account_sid,
        "alert_text": urlencode({"Msg": detail, "url": url}),
        "api_version": API_VERSION,
        "date_created": iso8601(now),
        "date_generated": iso8601(now),
        "date_updated": iso8601(now),
        "error_code": str(code),
        "log_level": level,
        "more_info": "https://www.twilio.com/docs/errors/%d" % code,
        "request_method": method,
        "request_url": url,
        "request_variables": urlencode(list(params)),
        "resource_sid": resource_sid,
        "response_body": response,
        "response_headers": None,
        "request_headers": None,
        "service_sid": None,
        "sid": sid,
        "url": "/v1/Alerts/" + sid,
    }
    return sandbox.store.insert("alert", sid, account_sid, data)


def _render(request):
    base = str(request.base_url).rstrip("/")

    def render(record):
        data = dict(record.data)
        data["url"] = base + data["url"]
        return data

    return render


@api_any
async def _list(sandbox, request, account, params):
    records = sandbox.store.all("alert", account.sid)
    if params.get("LogLevel"):
        records = [r for r in records if r.data["log_level"] == params["LogLevel"]]
    return json(paginate_v1(params, records, request, "alerts", _render(request)))


@api_any
async def _instance(sandbox, request, account, params):
    alert = sandbox.store.get("alert", request.path_params["sid"])
    if alert is None or alert.account_sid != account.sid:
        raise not_found(request.url.path)
    return json(_render(request)(alert))


def routes():
    return [
        Route("/v1/Alerts", _list, methods=["GET"]),
        Route("/v1/Alerts/{sid}", _instance, methods=["GET"]),
    ]
