"""A device's alert, texted by the agent to the device's contacts (the device holds
no Twilio credentials), within the device's hourly limit and the alert's cool-down
(kept in the store: they hold across agents)."""

import asyncio
import contextlib
import math

from utwilio.errors import TransportError, TwilioError

from . import logs, validate
from .errors import CannotSend, Conflict, RateLimited, Refused
from .store import Message
from .twilio_rest import retry_after


class Alerts:
    async def alert(self, device_id, text, key):
        """-> {"sent": [sid…], "failed": […]} when at least one contact got it; raises
        an AgentError otherwise (PROTOCOL.md gives the answers)."""
        validate.check("message", text)
        if key is not None:
            validate.check("key", key)
        device = self.config.devices.get(device_id)
        if device is None or not device.contacts:
            raise Conflict("the agent has no contacts for %s: add contacts = "
                           "[\"+15551234567\"] under [devices.%s] in its configuration"
                           % (device_id, device_id))
        sender = self.config.alert_from(device)
        if self.rest is None or not sender:
            raise CannotSend("the agent cannot send SMS: it needs TWILIO_ACCOUNT_SID, "
                             "TWILIO_AUTH_TOKEN and a number ([twilio] number)")
        now = self.clock()
        alert_id, wait = await self.store.claim_alert(
            device_id, key or text, now, device.alerts_per_hour, device.alert_cooldown)
        if alert_id is None:
            logs.event("alert.refused", device=device_id, retry_after=math.ceil(wait))
            raise RateLimited("alert not sent: %s" % (
                "the same alert is cooling down" if key or device.alert_cooldown else
                "more than %d alerts in an hour" % device.alerts_per_hour),
                retry_after=math.ceil(wait))
        results = await asyncio.gather(
            *(self._send_alert(device_id, contact, sender, text, now)
              for contact in device.contacts))
        sent = [r for r in results if isinstance(r, str)]
        failed = [r for r in results if not isinstance(r, str)]
        logs.event("alert.sent", device=device_id, sent=len(sent), failed=len(failed))
        if sent:
            answer = {"sent": sent}
            if failed:
                answer["failed"] = failed
            return answer
        await self.store.release_alert(alert_id)
        waits = [f["retry_after"] for f in failed if f.get("retry_after") is not None]
        if waits:
            raise RateLimited("Twilio is rate-limiting the agent", retry_after=max(waits))
        raise Refused("Twilio refused the alert: %s" % failed[0]["error"], failed=failed)

    async def _send_alert(self, device_id, to, sender, text, now):
        """-> the sid, or a failure dict. A send that may have reached Twilio is looked
        for there before the device is told it failed (and so sends it again)."""
        message = await self.store.add_message(
            Message(None, device_id, "alert", to, sender, text, "sending", now))
        try:
            data = await self.rest.send(to, sender, text, self._status_url())
        except (TwilioError, TransportError) as error:
            if getattr(error, "sent", False):
                with contextlib.suppress(TwilioError, TransportError):
                    found = await self._sent_already(message, now)
                    if found is not None:
                        return found
            code = getattr(error, "code", None)
            status = getattr(error, "status", 0)
            await self.store.message_failed(message.id, code, error.message, self.clock())
            failure = {"to": to, "code": code, "error": error.message}
            if status == 429:
                failure["retry_after"] = math.ceil(retry_after(error) or 1)
            return failure
        await self.store.message_sent(message.id, data["sid"], data.get("status"), self.clock())
        return data["sid"]

    def _status_url(self):
        return self.config.public_url + "/twilio/status" if self.config.public_url else None
