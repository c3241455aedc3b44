"""A per-key sliding-window limit: at most `limit` events in any `window` seconds."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable


class SlidingWindow:
    """Count events per key over the last `window` seconds; the clock is injectable for tests."""

    def __init__(self, limit: int, window: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[Hashable, deque[float]] = {}

    def acquire(self, key: Hashable) -> float:
        """Record one event for `key` and return 0, or return the seconds until one is allowed.

        A refused attempt is not recorded: hammering the bot does not push the wait further.
        """
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return events[0] + self.window - now
        events.append(now)
        self._forget_idle(now)
        return 0.0

    def release(self, key: Hashable) -> None:
        """Take back the latest event of `key`: the work it paid for was not done."""
        events = self._events.get(key)
        if events:
            events.pop()

    def _forget_idle(self, now: float) -> None:
        # Keep memory bounded by active users, without a sweep on every call.
        if len(self._events) < 1024:
            return
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self.window]:
            del self._events[key]
