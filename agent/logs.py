"""Structured logs: one JSON object per line on stderr, with an ISO 8601 UTC time.

`event("command.accepted", device=..., command=...)`. Tokens are never logged; message
bodies and command texts only at debug level (`debug=` fields)."""

import json
import logging
import sys
import time

LOGGER = logging.getLogger("utwilio_agent")


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "ts": iso_time(record.created),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def iso_time(seconds):
    """Unix seconds -> "2026-12-01T03:19:51.123Z"."""
    return "%s.%03dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)),
                         int(seconds * 1000) % 1000)


def setup(level="info"):
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    LOGGER.handlers[:] = [handler]
    LOGGER.setLevel(level.upper())
    LOGGER.propagate = False


def event(what, level=logging.INFO, /, debug=None, **fields):
    """Logs `what` with `fields`; `debug` (a dict: bodies, texts) is added only when
    the logger is at debug level."""
    if not LOGGER.isEnabledFor(level):
        return
    if debug and LOGGER.isEnabledFor(logging.DEBUG):
        fields.update(debug)
    LOGGER.log(level, what, extra={"fields": fields})


def warning(what, /, **fields):
    event(what, logging.WARNING, **fields)
