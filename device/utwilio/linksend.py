"""Events and alerts, the device's own messages to the agent (Link.send, Link.alert):
apart from utwilio.link, so that a device that only answers commands never holds them."""

MAX_MESSAGE = 1600


def _text(field, value, limit):
    if isinstance(value, str) and 0 < len(value) <= limit:
        return value
    from utwilio.linkfail import text

    raise text(field, value, limit)


def event(link, name, data):
    """-> the steps that send the event (checked now) and return its id."""
    return _post(link, "events", {"name": _text("name", name, 64), "data": data}, "id")


def alert(link, message, key):
    """-> the steps that ask for the alert (checked now) and return its message sids."""
    body = {"message": _text("message", message, MAX_MESSAGE)}
    if key is not None:
        body["key"] = _text("key", key, 200)
    return _post(link, "alerts", body, "sent")


def _post(link, kind, body, key):
    answer = link._answer((yield from link.channel.post(kind, body)))
    return answer and answer.get(key)
