"""Which device an inbound SMS is for, and which command it holds.

routing = "number": the Twilio number texted names the device, the text is the command.
routing = "prefix": "greenhouse: fan on" names the device before the colon."""

import re

PREFIX = re.compile(r"\s*([A-Za-z0-9_.-]{1,64})\s*:\s*(.*)\Z", re.DOTALL)


def route(config, to, body):
    """-> (Device or None, the command text, the device name asked for)."""
    if config.routing == "number":
        device = config.device_for_number(to)
        return device, body.strip(), device.id if device else to
    match = PREFIX.match(body)
    if match is None:
        return None, body.strip(), ""
    name, text = match.group(1), match.group(2).strip()
    device = config.devices.get(name)
    if device is None:
        lowered = name.lower()
        device = next((d for d in config.devices.values() if d.id.lower() == lowered), None)
    return device, text, name


def split(text):
    """"fan on" -> ("fan", "on"); "" -> ("", "")."""
    parts = text.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""
