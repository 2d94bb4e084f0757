"""utwilio-agent: run the agent, add devices, queue a command.

    utwilio-agent [--config FILE] serve [--host H] [--port P]
    utwilio-agent [--config FILE] device add NAME [--rotate]
    utwilio-agent [--config FILE] device list
    utwilio-agent [--config FILE] send DEVICE COMMAND... [--wait S]
    utwilio-agent [--config FILE] broker-config [DIR] [--certfile PEM --keyfile PEM]

FILE defaults to $UTWILIO_AGENT_CONFIG, else ./utwilio-agent.toml; a relative
`database` in it is relative to the file. Twilio credentials come from
TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."""

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from .config import DEVICE_ID, ConfigError, load


def _config(path):
    """The configuration, its relative paths made relative to the file."""
    config = load(path)
    here = Path(path).resolve().parent
    if config.database != ":memory:":
        config.database = str(here / config.database)
    if config.tls_cert:
        config.tls_cert, config.tls_key = str(here / config.tls_cert), str(here / config.tls_key)
    if config.mqtt_ca:
        config.mqtt_ca = str(here / config.mqtt_ca)
    if config.mqtt_broker_dir:
        config.mqtt_broker_dir = str(here / config.mqtt_broker_dir)
    return config


def _agent(config):
    from .agent import Agent
    from .sqlite_store import SQLiteStore

    return Agent(config, SQLiteStore(config.database, config.synchronous), time.time)


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

    logs.setup(config.log_level)
    if not config.public_url:
        logs.warning("config.no_public_url", hint="set [agent] public_url to the URL Twilio "
                     "calls; until then signatures are checked against the URL as received")
    app = create_app(config)

    class Server(uvicorn.Server):
        async def shutdown(self, sockets=None):
            app.state.agent.closing()
            await super().shutdown(sockets)

    Server(uvicorn.Config(
        app,
        host=args.host or config.host,
        port=args.port if args.port is not None else config.port,
        log_config=None,
        log_level=config.log_level,
        access_log=False,
        backlog=4096,
        timeout_graceful_shutdown=3,
        ssl_certfile=config.tls_cert or None,
        ssl_keyfile=config.tls_key or None,
    )).run()
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
    if config.mqtt_broker_dir:
        from . import broker

        if broker.add_device(config.mqtt_broker_dir, args.name, token) is None:
            print("note: no broker login for %r: run `utwilio-agent broker-config` first, "
                  "then `device add %s --rotate`" % (args.name, args.name), file=sys.stderr)
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


def broker_config(config, args):
    from . import broker

    folder = args.dir or config.mqtt_broker_dir
    if not config.mqtt_url or not folder:
        raise ConfigError("broker-config needs [mqtt] url (the address the broker serves) and "
                          "a DIR (or [mqtt] broker_dir)")
    if not config.mqtt_password:
        raise ConfigError("set UTWILIO_MQTT_PASSWORD: the agent's broker password (its user "
                          "is UTWILIO_MQTT_USERNAME, default utwilio-agent)")
    try:
        devices = broker.write(folder, config.mqtt_url, config.mqtt_username,
                               config.mqtt_password, args.certfile or "", args.keyfile or "")
    except ValueError as error:
        raise ConfigError(str(error)) from None
    print("wrote %s; run: mosquitto -c %s" % (", ".join(broker.FILES),
                                               Path(folder).resolve() / "mosquitto.conf"))

    async def work(agent):
        return sorted(agent.tokens)

    missing = sorted(set(asyncio.run(_with_store(config, work))) - set(devices))
    if missing:
        print("no broker login yet for %s: their tokens are not kept; give each one with "
              "`utwilio-agent device add NAME --rotate`%s" % (", ".join(missing), "" if
              folder == config.mqtt_broker_dir else " after setting [mqtt] broker_dir"),
              file=sys.stderr)
    return 0


def parser():
    p = argparse.ArgumentParser(prog="utwilio-agent", description=__doc__.split("\n")[0])
    p.add_argument("--config", default=os.environ.get("UTWILIO_AGENT_CONFIG",
                                                      "utwilio-agent.toml"),
                   help="the TOML configuration (default: $UTWILIO_AGENT_CONFIG or "
                        "./utwilio-agent.toml)")
    sub = p.add_subparsers(dest="what", required=True)
    s = sub.add_parser("serve", help="run the agent (webhooks, device link, dashboard)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.set_defaults(run=serve)
    d = sub.add_parser("device", help="devices and their tokens")
    dsub = d.add_subparsers(dest="device_what", required=True)
    a = dsub.add_parser("add", help="add a device and print its token (once)")
    a.add_argument("name")
    a.add_argument("--rotate", action="store_true", help="issue a new token for an existing device")
    a.set_defaults(run=device_add)
    ls = dsub.add_parser("list", help="devices, tokens issued, last seen")
    ls.set_defaults(run=device_list)
    c = sub.add_parser("send", help="queue a command for a device, as if texted")
    c.add_argument("device")
    c.add_argument("command", nargs="+")
    c.add_argument("--wait", type=float, default=0.0,
                   help="seconds to wait for the device's reply and print it")
    c.set_defaults(run=send)
    b = sub.add_parser("broker-config", help="write a Mosquitto configuration for [mqtt] url")
    b.add_argument("dir", nargs="?", help="where to write it (default: [mqtt] broker_dir)")
    b.add_argument("--certfile", help="the broker's certificate chain (PEM), for mqtts://")
    b.add_argument("--keyfile", help="its private key (PEM)")
    b.set_defaults(run=broker_config)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.run(_config(args.config), args)
    except ConfigError as error:
        print("utwilio-agent: %s" % error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
