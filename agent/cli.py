"""utwilio-agent: run the agent, add devices, queue a command.

    utwilio-agent init                        # writes a commented configuration
    utwilio-agent serve [--host H] [--port P] [--no-twilio]
    utwilio-agent device add NAME [--rotate]
    utwilio-agent device list
    utwilio-agent device remove NAME
    utwilio-agent send DEVICE COMMAND... [--wait S]
    utwilio-agent db copy --from agent.db       # SQLite -> the configured PostgreSQL

Each takes --config FILE (before or after the command; default $UTWILIO_AGENT_CONFIG,
else ./utwilio-agent.toml; a relative `database` in it is relative to the file) and
--version. Twilio credentials come from TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."""

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from . import __version__
from .config import DEVICE_ID, TEMPLATE, ConfigError, is_url, load
from .store import SchemaTooNew, StoreUnavailable

DEFAULT_CONFIG = "utwilio-agent.toml"


def _config(path):
    """The configuration, its relative paths made relative to the file."""
    config = load(path)
    here = Path(path).resolve().parent
    if config.database != ":memory:" and not is_url(config.database):
        config.database = str(here / config.database)
    if config.tls_cert:
        config.tls_cert, config.tls_key = str(here / config.tls_cert), str(here / config.tls_key)
    return config


def _agent(config):
    from .agent import Agent
    from .store import for_config

    return Agent(config, for_config(config), time.time)


async def _with_store(config, work):
    agent = _agent(config)
    await agent.store.open()
    try:
        await agent.load_devices()
        return await work(agent)
    finally:
        await agent.store.close()


def serve(config, args):
    import uvicorn

    from . import logs
    from .app import create_app

    if not config.auth_token and not args.no_twilio:
        raise ConfigError(
            "TWILIO_AUTH_TOKEN is not set: without it every webhook from Twilio is refused "
            "(its signature cannot be checked) and no reply can be sent. Export "
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio console, Account Info), or "
            "start with --no-twilio to serve only devices and `send`")
    logs.setup(config.log_level)
    if not config.public_url:
        logs.warning("config.no_public_url", hint="set [agent] public_url to the URL Twilio "
                     "calls; until then signatures are checked against the URL as received")
    app = create_app(config)

    host = args.host or config.host
    port = args.port if args.port is not None else config.port

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets)
            if self.started:
                bound = [s.getsockname()[1] for server in self.servers
                         for s in server.sockets] or [port]
                print(where(config, host, bound[0], args.config), flush=True)

        async def shutdown(self, sockets=None):
            app.state.agent.closing()
            await super().shutdown(sockets)

    Server(uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        log_level=config.log_level,
        access_log=False,
        backlog=4096,
        timeout_graceful_shutdown=3,
        ssl_certfile=config.tls_cert or None,
        ssl_keyfile=config.tls_key or None,
    )).run()
    return 0


def where(config, host, port, path):
    """What `serve` prints once it listens: where, and what to paste where."""
    local = "%s://%s:%d" % ("https" if config.tls_cert else "http",
                            "[%s]" % host if ":" in host else host, port)
    public = config.public_url or local
    lines = [
        "utwilio-agent %s listening on %s (configuration %s, %d device(s))"
        % (__version__, local, Path(path).resolve(), len(config.devices)),
        "  Twilio webhook: %s/twilio/sms  (paste into your number's Messaging "
        "configuration, \"A message comes in\", HTTP POST)" % public,
        "  device link:    %s  (Link(url, device_id, token) on the board)" % public,
        "  dashboard:      %s/dashboard  (%s)" % (local, "password from "
                                                  "UTWILIO_DASHBOARD_PASSWORD" if
                                                  config.dashboard_password else
                                                  "off: set UTWILIO_DASHBOARD_PASSWORD"),
    ]
    if not config.public_url:
        lines.append("  note: [agent] public_url is not set; Twilio cannot reach %s from the "
                     "internet: set public_url to the https URL Twilio calls" % local)
    return "\n".join(lines)


def init(args):
    path = Path(args.config)
    if path.exists():
        raise ConfigError("%s already exists: edit it, or give another --config" % path)
    path.write_text(TEMPLATE, encoding="utf-8")
    print("wrote %s: set public_url and your numbers in it, then:\n"
          "  utwilio-agent --config %s device add greenhouse\n"
          "  utwilio-agent --config %s serve" % (path, path, path))
    return 0


def device_add(config, args):
    if not DEVICE_ID.match(args.name):
        raise ConfigError("NAME must be 1-64 letters, digits, '-', '_' or '.' like "
                          "'greenhouse-1', got %r" % args.name)

    async def work(agent):
        if args.name in agent.tokens and not args.rotate:
            return None
        return await agent.add_device(args.name)

    issued = asyncio.run(_with_store(config, work))
    if issued is None:
        print("device %r already has a token; --rotate issues a new one (the old one stops "
              "working)" % args.name, file=sys.stderr)
        return 1
    token, _ = issued
    print(token)
    print("the token for %r (shown once; the agent keeps only its hash)" % args.name,
          file=sys.stderr)
    if args.name not in config.devices:
        print("note: add [devices.%s] to the configuration to say who may command it"
              % args.name, file=sys.stderr)
    return 0


def device_list(config, args):
    async def work(agent):
        return await agent.store.devices()

    devices = asyncio.run(_with_store(config, work))
    for name in sorted(set(devices) | set(config.devices)):
        seen = devices.get(name, (None, None, None))[2]
        print("%-24s token=%-4s configured=%-4s last_seen=%s" % (
            name, "yes" if name in devices else "no", "yes" if name in config.devices else "no",
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seen)) if seen else "never"))
    return 0


def device_remove(config, args):
    async def work(agent):
        return await agent.store.remove_device(args.name)

    if not asyncio.run(_with_store(config, work)):
        raise ConfigError("no device %r has a token (`utwilio-agent device list` shows them)"
                          % args.name)
    print("removed %r: its token no longer works%s" % (
        args.name, "; remove [devices.%s] from the configuration too" % args.name
        if args.name in config.devices else ""))
    return 0


def send(config, args):
    text = " ".join(args.command)

    async def work(agent):
        if args.device not in agent.tokens and args.device not in config.devices:
            raise ConfigError("no device %r: add it with `utwilio-agent device add %s`"
                              % (args.device, args.device))
        accepted = await agent.queue(args.device, text)
        if accepted.outcome != "new":
            return accepted, None
        command = accepted.command
        deadline = time.monotonic() + args.wait
        while time.monotonic() < deadline:
            current = await agent.store.command(command.id)
            if current.state != "pending":
                return accepted, current
            await asyncio.sleep(0.2)
        return accepted, None

    accepted, done = asyncio.run(_with_store(config, work))
    if accepted.outcome == "full":
        print("%s's queue is full; try again later" % args.device, file=sys.stderr)
        return 1
    print(accepted.command.id)
    if done is not None:
        if done.state == "done":
            print(done.reply if done.reply is not None else "(done, no reply)")
        else:
            print("(%s)" % done.state)
    elif args.wait:
        print("(no reply within %g s; the command stays queued)" % args.wait, file=sys.stderr)
    return 0


def db_copy(config, args):
    from .dbcopy import run

    copied = run(args.source, config.database)
    print("copied %s from %s" % (", ".join("%d %s" % (n, t) for t, n in copied.items()),
                                 args.source))
    return 0


def parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS,
                        help="the TOML configuration (default: $UTWILIO_AGENT_CONFIG or "
                             "./%s)" % DEFAULT_CONFIG)
    common.add_argument("--version", action="version", version="utwilio-agent " + __version__)
    p = argparse.ArgumentParser(prog="utwilio-agent", description=__doc__.split("\n")[0],
                                parents=[common])
    sub = p.add_subparsers(dest="what", required=True)
    i = sub.add_parser("init", parents=[common],
                       help="write a commented configuration to --config's file")
    i.set_defaults(run=init, needs_config=False)
    s = sub.add_parser("serve", parents=[common],
                       help="run the agent (webhooks, device link, dashboard)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--no-twilio", action="store_true",
                   help="start without TWILIO_AUTH_TOKEN: devices and `send` only, every "
                        "webhook refused")
    s.set_defaults(run=serve)
    d = sub.add_parser("device", parents=[common], help="devices and their tokens")
    dsub = d.add_subparsers(dest="device_what", required=True)
    a = dsub.add_parser("add", parents=[common], help="add a device and print its token (once)")
    a.add_argument("name")
    a.add_argument("--rotate", action="store_true", help="issue a new token for an existing device")
    a.set_defaults(run=device_add)
    ls = dsub.add_parser("list", parents=[common], help="devices, tokens issued, last seen")
    ls.set_defaults(run=device_list)
    rm = dsub.add_parser("remove", parents=[common], help="remove a device's token")
    rm.add_argument("name")
    rm.set_defaults(run=device_remove)
    c = sub.add_parser("send", parents=[common], help="queue a command for a device, as if texted")
    c.add_argument("device")
    c.add_argument("command", nargs="+")
    c.add_argument("--wait", type=float, default=0.0,
                   help="seconds to wait for the device's reply and print it")
    c.set_defaults(run=send)
    db = sub.add_parser("db", parents=[common], help="the agent's database")
    dbsub = db.add_subparsers(dest="db_what", required=True)
    cp = dbsub.add_parser("copy", parents=[common],
                          help="move a SQLite agent's devices, tokens and history to "
                          "the PostgreSQL database in the configuration")
    cp.add_argument("--from", dest="source", required=True, help="the SQLite file")
    cp.set_defaults(run=db_copy)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if not hasattr(args, "config"):  # --config may come before or after the command
        args.config = os.environ.get("UTWILIO_AGENT_CONFIG", DEFAULT_CONFIG)
    try:
        if not getattr(args, "needs_config", True):
            return args.run(args)
        return args.run(_config(args.config), args)
    except (ConfigError, StoreUnavailable, SchemaTooNew) as error:
        print("utwilio-agent: %s" % error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
