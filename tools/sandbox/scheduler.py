"""The sandbox's clock and its timed jobs (message and call lifecycles, SendAt).

Time is the wall clock plus an offset that tests move forward with `advance()`,
so nothing waits for real time to pass.
"""

import asyncio
import contextlib
import heapq
import itertools
import logging
import threading
import time

_log = logging.getLogger("utwilio_sandbox")


def _report(task):
    if not task.cancelled() and task.exception() is not None:
        _log.error("sandbox job failed", exc_info=task.exception())


class Scheduler:
    def __init__(self):
        self.offset = 0.0
        self._jobs = []
        self._order = itertools.count()
        self._loop = None
        self._wake = None
        self._tasks = set()
        self._lock = threading.Lock()

    def now(self):
        return time.time() + self.offset

    def after(self, seconds, job):
        self.at(self.now() + seconds, job)

    def at(self, due, job):
        """Run `job()` (a coroutine function) once the clock reaches `due`."""
        with self._lock:
            heapq.heappush(self._jobs, (due, next(self._order), job))
        self._poke()

    def advance(self, seconds):
        self.offset += seconds
        self._poke()

    def clear(self):
        with self._lock:
            self._jobs.clear()
        self.offset = 0.0

    def _poke(self):
        if self._loop is None or self._loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._wake.set()
        else:
            self._loop.call_soon_threadsafe(self._wake.set)

    def _due(self):
        with self._lock:
            if self._jobs and self._jobs[0][0] <= self.now():
                return heapq.heappop(self._jobs)[2]
            return None

    def _next_delay(self):
        with self._lock:
            return max(0.0, self._jobs[0][0] - self.now()) if self._jobs else None

    async def run(self):
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        try:
            while True:
                job = self._due()
                while job is not None:
                    task = asyncio.create_task(job())
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                    task.add_done_callback(_report)
                    job = self._due()
                self._wake.clear()
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for loses a
                # cancellation that comes just as the wake-up is set (the stop would hang).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._next_delay()):
                        await self._wake.wait()
        finally:
            for task in list(self._tasks):
                task.cancel()
            self._loop = None
