"""`utwilio-sandbox`: serve the sandbox and say how to point clients at it."""

import argparse
import json as jsonlib
import signal
import socket
import sys
from urllib.error import HTTPError
from urllib.parse import quote, urlencode
from urllib.request import ProxyHandler, Request, build_opener

import uvicorn

from .app import create_app
from .settings import Settings

DEFAULT_PORT = 8010


def parse_args(argv=None):
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="utwilio-sandbox",
        description="A local stand-in for Twilio's REST API, for the demo and the tests.",
    )
    parser.add_argument("--version", action="version", version="utwilio-sandbox %s"
                        % __import__("importlib.metadata").metadata.version("utwilio"))
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--db",
        default=":memory:",
        help="SQLite file that keeps the state across restarts (default: in memory)",
    )
    parser.add_argument("--account-sid", default=defaults.account_sid)
    parser.add_argument("--auth-token", default=defaults.auth_token)
    parser.add_argument("--api-key-sid", default=defaults.api_key_sid)
    parser.add_argument("--api-key-secret", default=defaults.api_key_secret)
    parser.add_argument(
        "--number",
        action="append",
        dest="numbers",
        metavar="E164",
        help="a number the account owns; repeat for more (default: %s)"
        % ", ".join(defaults.numbers),
    )
    parser.add_argument(
        "--opted-out",
        action="append",
        metavar="E164",
        help="a recipient who replied STOP: sending to it fails with 21610"
        " (default: %s)" % ", ".join(defaults.opted_out),
    )
    parser.add_argument(
        "--step-seconds",
        type=float,
        default=defaults.step_seconds,
        help="seconds between a message's status steps (default: %(default)s)",
    )
    parser.add_argument(
        "--failing",
        action="append",
        metavar="E164=CODE",
        help="messages to E164 end failed/undelivered with error CODE, e.g."
        " +15005550010=30003; repeat for more",
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        help="requests per second per credential before 429 (default: none)",
    )
    parser.add_argument(
        "--webhook-ca",
        default=None,
        help="CA bundle to trust when calling HTTPS webhooks (default: system)",
    )
    parser.add_argument("--tls-cert", help="PEM certificate chain: serve HTTPS")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--log-level", default="info")
    parser.add_argument(
        "--selftest",
        action="store_true",
        help="drive every resource the sandbox serves with the official Python client"
        " (on a private sandbox) and print a table of the results",
    )
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    return args


def banner(base_url, settings):
    numbers = ", ".join(settings.numbers)
    first = settings.numbers[0] if settings.numbers else "+15005550006"
    sid, token = settings.account_sid, settings.auth_token
    return "\n".join(
        [
            "utwilio sandbox: a local stand-in for Twilio's API",
            "  Base URL     %s  (replaces https://api.twilio.com, lookups. and monitor.twilio.com)"
            % base_url,
            "  Account SID  %s" % sid,
            "  Auth token   %s" % token,
            "  API key      %s  secret %s" % (settings.api_key_sid, settings.api_key_secret),
            "  Numbers      %s" % numbers,
            "",
            "Device:   Twilio(%r, %r, %r) with its API base URL set to %s"
            % (sid, token, first, base_url),
            "Agent:    give it Twilio API base URL %s and the credentials above" % base_url,
            "Python:   from utwilio_sandbox.clients import twilio_client; "
            "client = twilio_client(%r)" % base_url,
            "curl:     curl -u %s:%s %s/2010-04-01/Accounts/%s/Messages.json "
            "--data-urlencode To=+15551234567 --data-urlencode From=%s --data-urlencode Body=Hi"
            % (sid, token, base_url, sid, first),
            "Inspect:  %s/sandbox/messages   Reset: POST %s/sandbox/reset" % (base_url, base_url),
            "Phone:    %s/sandbox/phone  (text the numbers from a browser)" % base_url,
            "",
        ]
    )


def number_command(argv):
    """`utwilio-sandbox number webhook|signing …`: a running sandbox's number settings,
    as Twilio's console sets them (POST /sandbox/numbers/{number})."""
    parser = argparse.ArgumentParser(
        prog="utwilio-sandbox number",
        description="Set a number's SMS webhook or webhook signature in a running sandbox.",
    )
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:%d" % DEFAULT_PORT,
        help="the running sandbox (default: %(default)s)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    hook = commands.add_parser("webhook", help="where texts to the number are POSTed (SmsUrl)")
    hook.add_argument("number", metavar="E164")
    hook.add_argument("sms_url", metavar="URL", help="e.g. http://127.0.0.1:8020/twilio/sms")
    hook.add_argument("--method", default="POST", choices=["POST", "GET"])
    sign = commands.add_parser("signing", help="how the number's webhooks are signed")
    sign.add_argument("number", metavar="E164")
    sign.add_argument("algorithm", choices=["HMAC_SHA1", "HMAC_SHA256"])
    sign.add_argument("--secret", default="", help="the SharedKey secret (HMAC_SHA256)")
    sign.add_argument("--key-id", default="", help="the SharedKey's id (default: made up)")
    args = parser.parse_args(argv)
    if args.command == "webhook":
        fields = {"SmsUrl": args.sms_url, "SmsMethod": args.method}
    else:
        fields = {"SignatureAlgorithm": args.algorithm, "SharedKeySecret": args.secret}
        if args.key_id:
            fields["SharedKeyId"] = args.key_id
    target = "%s/sandbox/numbers/%s" % (args.url.rstrip("/"), quote(args.number))
    try:
        request = Request(target, urlencode(fields).encode(), method="POST")
        with build_opener(ProxyHandler({})).open(request, timeout=10) as r:  # loopback: no proxy
            number = jsonlib.loads(r.read())
    except HTTPError as error:
        body = error.read().decode("utf-8", "replace")
        try:
            message = jsonlib.loads(body)["message"]
        except (ValueError, KeyError):
            message = "HTTP %d" % error.code
        if error.code == 404:
            message = "%s is not one of the sandbox's numbers" % args.number
        sys.exit("utwilio-sandbox number: %s" % message)
    except OSError as error:
        sys.exit(
            "utwilio-sandbox number: no sandbox at %s (%s): start one with `utwilio-sandbox`"
            " or give --url" % (args.url, getattr(error, "reason", error))
        )
    if args.command == "webhook":
        print("%s: texts go to %s %s" % (number["phone_number"], args.method, number["sms_url"]))
    else:
        print(
            "%s: webhooks signed with %s%s"
            % (
                number["phone_number"],
                number["signature_algorithm"],
                " (key %s)" % number["signature_key_id"] if number["signature_key_id"] else "",
            )
        )
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["number"]:
        sys.exit(number_command(argv[1:]))
    args = parse_args(argv)
    if args.selftest:
        from .selftest import main as selftest

        sys.exit(selftest())
    overrides = {
        "account_sid": args.account_sid,
        "auth_token": args.auth_token,
        "api_key_sid": args.api_key_sid,
        "api_key_secret": args.api_key_secret,
        "step_seconds": args.step_seconds,
    }
    if args.numbers:
        overrides["numbers"] = tuple(args.numbers)
    if args.opted_out:
        overrides["opted_out"] = tuple(args.opted_out)
    if args.failing:
        try:
            overrides["failing"] = {
                number: int(code) for number, code in (item.split("=") for item in args.failing)
            }
        except ValueError:
            sys.exit("utwilio-sandbox: --failing takes E164=CODE, e.g. +15005550010=30003")
    if args.rate_limit:
        overrides["rate_limit"] = args.rate_limit
    if args.webhook_ca:
        overrides["webhook_ca"] = args.webhook_ca
    app = create_app(args.db, **overrides)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets (see server.py).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as error:
        sys.exit(
            "utwilio-sandbox: cannot listen on %s:%d: %s (try --port 0)"
            % (args.host, args.port, error.strerror)
        )
    port = sock.getsockname()[1]
    scheme = "https" if args.tls_cert else "http"
    host = "[%s]" % args.host if ":" in args.host else args.host
    print(banner("%s://%s:%d" % (scheme, host, port), app.state.sandbox.settings), flush=True)
    tls = {"ssl_certfile": args.tls_cert, "ssl_keyfile": args.tls_key} if args.tls_cert else {}
    config = uvicorn.Config(app, log_level=args.log_level, lifespan="on", **tls)
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _exit_quietly)
    uvicorn.Server(config).run(sockets=[sock])


def _exit_quietly(signum, frame):
    """uvicorn shuts down gracefully, then re-raises the signal to the previous handler:
    that is this one, so a stopped sandbox exits with status 0 rather than by the signal."""
    raise SystemExit(0)


if __name__ == "__main__":
    main()
