"""Twilio 2010-04-01 list pages: PageSize/Page/PageToken in, paging metadata out.

Records come newest first. A PageToken is 'PA' + the sid a page starts after
(or 'PB' + the sid the previous page ends before), as Twilio writes them.
"""

from urllib.parse import urlencode

from .errors import TwilioError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_PAGING_PARAMS = ("PageSize", "Page", "PageToken")


def _int_param(params, name, default):
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise TwilioError(20001, "Invalid %s: %r is not an integer" % (name, raw)) from None
    if value < 0:
        raise TwilioError(20001, "Invalid %s: %d must not be negative" % (name, value))
    return value


def _start_index(records, token, page, page_size):
    if token and len(token) > 2:
        sids = [record.sid for record in records]
        anchor = token[2:]
        if anchor in sids:
            at = sids.index(anchor)
            return at + 1 if token.startswith("PA") else max(0, at - page_size)
    return page * page_size


def paginate(params, records, path, key, render):
    """The list body for `records` (already filtered): Twilio's metadata plus one page."""
    page_size = _int_param(params, "PageSize", DEFAULT_PAGE_SIZE)
    if page_size > MAX_PAGE_SIZE:
        raise TwilioError(
            20007, "Page size too large: the maximum page size is %d." % MAX_PAGE_SIZE
        )
    page_size = page_size or DEFAULT_PAGE_SIZE
    page = _int_param(params, "Page", 0)
    start = _start_index(records, params.get("PageToken"), page, page_size)
    chunk = records[start : start + page_size]
    filters = [(name, value) for name, value in params.multi_items() if name not in _PAGING_PARAMS]

    def uri(number, token=None):
        query = filters + [("PageSize", page_size), ("Page", number)]
        if token:
            query.append(("PageToken", token))
        return "%s?%s" % (path, urlencode(query))

    has_next = start + page_size < len(records)
    return {
        "first_page_uri": uri(0),
        "end": start + len(chunk) - 1 if chunk else start,
        "previous_page_uri": uri(page - 1, "PB" + chunk[0].sid) if page > 0 and chunk else None,
        key: [render(record) for record in chunk],
        "uri": uri(page, params.get("PageToken")),
        "page_size": page_size,
        "start": start,
        "next_page_uri": uri(page + 1, "PA" + chunk[-1].sid) if has_next and chunk else None,
        "page": page,
    }


def paginate_v1(params, records, request, key, render):
    """Paging of the newer APIs (v1, v2): records under `key`, links absolute under `meta`."""
    page_size = _int_param(params, "PageSize", DEFAULT_PAGE_SIZE)
    if page_size > MAX_PAGE_SIZE:
        raise TwilioError(
            20007, "Page size too large: the maximum page size is %d." % MAX_PAGE_SIZE
        )
    page_size = page_size or DEFAULT_PAGE_SIZE
    page = _int_param(params, "Page", 0)
    start = _start_index(records, params.get("PageToken"), page, page_size)
    chunk = records[start : start + page_size]
    base = str(request.base_url).rstrip("/") + request.url.path
    filters = [(n, v) for n, v in params.multi_items() if n not in _PAGING_PARAMS]

    def url(number, token=None):
        query = filters + [("PageSize", page_size), ("Page", number)]
        if token:
            query.append(("PageToken", token))
        return "%s?%s" % (base, urlencode(query))

    has_next = start + page_size < len(records)
    return {
        key: [render(record) for record in chunk],
        "meta": {
            "page": page,
            "page_size": page_size,
            "first_page_url": url(0),
            "previous_page_url": url(page - 1, "PB" + chunk[0].sid) if page > 0 and chunk else None,
            "url": url(page, params.get("PageToken")),
            "next_page_url": url(page + 1, "PA" + chunk[-1].sid) if has_next and chunk else None,
            "key": key,
        },
    }
