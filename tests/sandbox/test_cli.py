"""`utwilio-sandbox` as a user runs it: a subprocess that prints how to connect and
stops cleanly on SIGTERM and SIGINT."""

import re
import signal
import subprocess
import sys

import httpx
import pytest
from utwilio_sandbox.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN


def start(*args):
    process = subprocess.Popen(
        [sys.executable, "-m", "utwilio_sandbox", "--port", "0", "--log-level", "warning", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    banner = []
    for line in process.stdout:
        banner.append(line)
        if line.startswith("Inspect:"):
            break
    match = re.search(r"Base URL\s+(\S+)", "".join(banner))
    if match is None:
        process.kill()
        pytest.fail("no banner: %r %r" % (banner, process.stderr.read()))
    return process, match.group(1), "".join(banner)


def wait_ready(url):
    """uvicorn prints nothing at warning level: ask until it answers (it is already bound)."""
    with httpx.Client() as client:
        for _ in range(200):
            try:
                return client.get(url + "/sandbox/info")
            except httpx.TransportError:
                continue
    pytest.fail("the sandbox at %s never answered" % url)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_and_stops_cleanly_on_signals(stop_signal):
    process, url, banner = start("--number", "+15550001111", "--auth-token", "a" * 32)
    try:
        assert "Account SID  %s" % DEFAULT_ACCOUNT_SID in banner
        assert "+15550001111" in banner and "a" * 32 in banner
        assert wait_ready(url).json()["numbers"] == ["+15550001111"]
        response = httpx.post(
            url + "/2010-04-01/Accounts/%s/Messages.json" % DEFAULT_ACCOUNT_SID,
            data={"To": "+15551234567", "From": "+15550001111", "Body": "cli"},
            auth=(DEFAULT_ACCOUNT_SID, "a" * 32),
        )
        assert response.status_code == 201
    finally:
        process.send_signal(stop_signal)
        code = process.wait(timeout=20)
        process.stdout.close()
        process.stderr.close()
    assert code == 0


def test_cli_default_credentials_are_the_documented_ones():
    process, url, banner = start()
    try:
        assert "Auth token   %s" % DEFAULT_AUTH_TOKEN in banner
        assert url.startswith("http://127.0.0.1:")
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stdout.close()
        process.stderr.close()


def test_cli_rejects_a_certificate_without_its_key():
    result = subprocess.run(
        [sys.executable, "-m", "utwilio_sandbox", "--tls-cert", "x.pem"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--tls-cert and --tls-key go together" in result.stderr


def number(*args):
    return subprocess.run(
        [sys.executable, "-m", "utwilio_sandbox", "number", *args],
        capture_output=True, text=True, timeout=30,
    )


def test_number_webhook_sets_the_sms_url_of_a_running_sandbox(live):
    done = number("--url", live.url, "webhook", "+15005550006",
                  "http://127.0.0.1:8020/twilio/sms")
    assert done.returncode == 0, done.stderr
    assert "+15005550006: texts go to POST http://127.0.0.1:8020/twilio/sms" in done.stdout
    record = [r for r in live.sandbox.store.all("incoming_phone_number")
              if r.data["phone_number"] == "+15005550006"][0]
    assert record.data["sms_url"] == "http://127.0.0.1:8020/twilio/sms"
    done = number("--url", live.url, "signing", "+15005550006", "HMAC_SHA256",
                  "--secret", "s3cret", "--key-id", "webhooks_sharedkey_lab")
    assert done.returncode == 0, done.stderr
    assert "signed with HMAC_SHA256 (key webhooks_sharedkey_lab)" in done.stdout


def test_number_command_errors_name_the_fix(live):
    bad = number("--url", live.url, "webhook", "+15005550006", "not-a-url")
    assert bad.returncode == 1 and "SmsUrl is not a valid URL" in bad.stderr
    unknown = number("--url", live.url, "webhook", "+15559999999", "http://127.0.0.1:1/x")
    assert unknown.returncode == 1 and "+15559999999 is not one of the sandbox's numbers" in (
        unknown.stderr)
    nobody = number("--url", "http://127.0.0.1:9", "webhook", "+15005550006", "http://a.test/")
    assert nobody.returncode == 1 and "no sandbox at http://127.0.0.1:9" in nobody.stderr
