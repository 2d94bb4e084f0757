"""Ids for commands and events."""

import random


def new_id(prefix):
    """Unique, not secret: a command id grants nothing (acks are checked per device), so
    the fast generator (seeded from the OS at start) serves instead of one syscall each."""
    return "%s%032x" % (prefix, random.getrandbits(128))
