"""Which devices are online: polling now, or seen within `offline_after` seconds.

Kept in memory and written to the store every few seconds: a last-seen time lost
in a crash costs nothing, while a write per poll would cost a commit each."""


class Presence:
    def __init__(self, offline_after):
        self.offline_after = offline_after
        self.last_seen = {}
        self._polling = {}
        self._changed = {}

    def load(self, device_id, when):
        """A last-seen time from the store; a later one known here wins."""
        if when > self.last_seen.get(device_id, 0):
            self.last_seen[device_id] = when

    def touch(self, device_id, now):
        self.last_seen[device_id] = now
        self._changed[device_id] = now

    def enter(self, device_id):
        self._polling[device_id] = self._polling.get(device_id, 0) + 1

    def leave(self, device_id, now):
        left = self._polling.get(device_id, 0) - 1
        if left > 0:
            self._polling[device_id] = left
        else:
            self._polling.pop(device_id, None)
        self.touch(device_id, now)

    def online(self, device_id, now):
        if device_id in self._polling:
            return True
        seen = self.last_seen.get(device_id)
        return seen is not None and now - seen <= self.offline_after

    def take_changes(self):
        changed, self._changed = self._changed, {}
        return changed
