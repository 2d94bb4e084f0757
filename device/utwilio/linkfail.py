"""The errors utwilio.link reports, in words, each naming the field, the value and the
fix: loaded only when something is wrong. Each returns the exception to raise."""


def word(field, value):
    return ValueError("%s must be 1-64 letters, digits, '-', '_' or '.' like 'greenhouse-1', "
                      "got %r" % (field, value))


def text(field, value, limit):
    got = "%d characters" % len(value) if isinstance(value, str) and value else repr(value)
    return ValueError("%s must be a str of 1-%d characters, got %s" % (field, limit, got))


def url(value):
    return ValueError("agent_url must be an http(s):// URL (the agent) or an mqtt(s):// URL "
                      "(its broker), got %r" % (value,))


def settings(token, wait):
    if not isinstance(token, str) or not token:
        return ValueError("token must be the device's token, a non-empty str (from "
                          "`utwilio-agent device add NAME`)")  # never echo a secret
    return ValueError("wait must be whole seconds from 0 to 60, got %r" % (wait,))


def answer(status, data, obj):
    """An answer that is not a 2xx JSON object -> what `link.error` says."""
    why = obj.get("error") if isinstance(obj, dict) else None
    if not why:
        why = data[:80] if isinstance(data, (bytes, str)) else repr(data)[:80]
    error = "agent answered HTTP %d: %s" % (status, why)
    if isinstance(obj, dict) and obj.get("retry_after") is not None:
        error += " (retry after %s s)" % obj["retry_after"]
    return error
