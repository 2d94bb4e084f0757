"""Helpers shared by the sandbox's tests."""

import pytest
from twilio.base.exceptions import TwilioRestException


def refusal(call):
    """Runs `call`, which must fail as Twilio fails -> (HTTP status, Twilio error code)."""
    with pytest.raises(TwilioRestException) as raised:
        call()
    return raised.value.status, raised.value.code
