"""A local stand-in for Twilio's REST API (see tools/sandbox/README)."""
