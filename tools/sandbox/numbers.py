"""IncomingPhoneNumbers: the numbers an account owns and where their webhooks go."""

from .formats import API_VERSION, new_sid, rfc2822, utcnow


def friendly_name(number):
    if number.startswith("+1") and len(number) == 12:
        return "(%s) %s-%s" % (number[2:5], number[5:8], number[8:])
    return number


def number_json(account_sid, sid, phone_number, now):
    path = "/%s/Accounts/%s/IncomingPhoneNumbers/%s" % (API_VERSION, account_sid, sid)
    return {
        "account_sid": account_sid,
        "address_requirements": "none",
        "address_sid": None,
        "api_version": API_VERSION,
        "beta": False,
        "bundle_sid": None,
        "capabilities": {"fax": False, "mms": True, "sms": True, "voice": True},
        "date_created": rfc2822(now),
        "date_updated": rfc2822(now),
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "emergency_status": "Inactive",
        "friendly_name": friendly_name(phone_number),
        "identity_sid": None,
        "origin": "twilio",
        "phone_number": phone_number,
        "sid": sid,
        "sms_application_sid": "",
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": "POST",
        "sms_url": "",
        "status": "in-use",
        "status_callback": "",
        "status_callback_method": "POST",
        "subresource_uris": {"assigned_add_ons": path + "/AssignedAddOns.json"},
        "trunk_sid": None,
        "type": "local",
        "uri": path + ".json",
        "voice_application_sid": "",
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None,
        "voice_method": "POST",
        "voice_receive_mode": "voice",
        "voice_url": None,
    }


def find(store, phone_number):
    """The IncomingPhoneNumber record for a number, whichever account owns it."""
    for record in store.all("incoming_phone_number"):
        if record.data["phone_number"] == phone_number:
            return record
    return None


def ensure_number(store, account_sid, phone_number):
    record = find(store, phone_number)
    if record is None:
        sid = new_sid("PN")
        record = store.insert(
            "incoming_phone_number",
            sid,
            account_sid,
            number_json(account_sid, sid, phone_number, utcnow()),
        )
    return record
