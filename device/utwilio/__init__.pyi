# What __init__.py gives through its module __getattr__, for pyright.
from utwilio.errors import TwilioError as TwilioError
from utwilio.twilio import API as API
from utwilio.twilio import Api as Api
from utwilio.twilio import Twilio as Twilio
from utwilio.twilio import result as result

__version__: str
