"""`utwilio-sandbox --selftest` as a user runs it: every served resource through the
official Python client, a table, exit status 0."""

import subprocess
import sys

RESOURCES = (
    "Messages",
    "Media",
    "Calls",
    "Recordings",
    "Conferences",
    "Transcriptions",
    "AvailablePhoneNumbers",
    "IncomingPhoneNumbers",
    "Lookup v2",
    "Accounts",
    "Keys",
    "Tokens",
    "Usage Records",
    "Usage Triggers",
    "Applications",
    "Queues",
    "OutgoingCallerIds",
    "SMS ShortCodes",
    "ConnectApps",
    "Messaging Services",
    "Messaging Service PhoneNumbers",
    "Notifications",
    "Monitor Alerts",
)


def test_selftest_drives_every_resource_and_passes():
    done = subprocess.run(
        [sys.executable, "-m", "utwilio_sandbox", "--selftest"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.split("  ")[0] for line in done.stdout.splitlines()[1:] if line.strip()]
    assert set(RESOURCES) <= set(rows)
    assert "FAILED" not in done.stdout
    assert ", 0 failed, through the official twilio client" in done.stdout
