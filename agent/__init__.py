"""utwilio agent: Twilio webhooks in, a durable queue per device, long-poll to devices,
replies and alerts out through Twilio's REST API. `utwilio-agent serve` runs it;
`create_app(config)` (utwilio_agent.app) gives the ASGI app for any server."""

__version__ = "0.1.0"
