"""The operator's console at /dashboard: a card per device, live; a page per device
with plots of what it reports, its commands and the SMS sent for it; commands sent,
canceled and sent again from the page.

Behind HTTP Basic auth with the password in UTWILIO_DASHBOARD_PASSWORD (any user
name); without that variable the console is off."""

from .feed import Feed, Watched
from .pages import routes


def attach(app):
    """Lets the console see the agent's writes as they happen."""
    agent = app.state.agent
    app.state.console_feed = Feed()
    agent.store = Watched(agent.store, app.state.console_feed)


__all__ = ["attach", "routes"]
