"""What the agent's core raises when it will not do what was asked; the HTTP layer
turns each into its response in one place (app.py). The message says what was wrong
and what to send instead."""


class AgentError(Exception):
    status = 500

    def __init__(self, message, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra  # more fields for the JSON answer (retry_after, failed, …)

    def answer(self):
        return dict(error=self.message, **self.extra)


class BadRequest(AgentError, ValueError):
    """The request is malformed."""

    status = 400


class NotFound(AgentError):
    status = 404


class Conflict(AgentError):
    """Not in the present state: the configuration does not allow it (no contacts for
    alerts), or the command or queue is not as the request needs (too late to cancel,
    the queue is full)."""

    status = 409


class RateLimited(AgentError):
    """Not now: `retry_after` seconds (a cool-down, the hourly limit, or Twilio's)."""

    status = 429


class Refused(AgentError):
    """Twilio refused what the agent sent for the device."""

    status = 502


class CannotSend(AgentError):
    """The agent lacks what it needs (credentials, a number) or its database."""

    status = 503
