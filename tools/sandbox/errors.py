"""Twilio's error body {code, message, more_info, status} and the errors we raise."""

from starlette.responses import JSONResponse


class TwilioError(Exception):
    """An API error as Twilio reports it; raise it from any handler."""

    def __init__(self, code, message, status=400, headers=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.headers = headers or {}


def error_body(code, message, status):
    return {
        "code": code,
        "message": message,
        "more_info": "https://www.twilio.com/docs/errors/%d" % code,
        "status": status,
    }


def error_response(error):
    return JSONResponse(
        error_body(error.code, error.message, error.status),
        status_code=error.status,
        headers=error.headers,
    )


def unauthenticated():
    return TwilioError(20003, "Authenticate", 401, {"WWW-Authenticate": 'Basic realm="Twilio API"'})


def not_found(path):
    return TwilioError(20404, "The requested resource %s was not found" % path, 404)


def method_not_allowed():
    return TwilioError(20004, "Method not allowed", 405)
