"""An async limiter: at most one call per `interval` seconds (GDELT asks for one per 5 s)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class IntervalLimiter:
    """`await limiter.wait()` before each request; concurrent callers queue in order."""

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._next_slot = float("-inf")

    async def wait(self) -> None:
        async with self._lock:
            delay = self._next_slot - self._clock()
            if delay > 0:
                await self._sleep(delay)
            # Count from the slot we were given, not from when sleep returned: a late wake-up
            # must not let the next caller in early, and an early one is impossible.
            self._next_slot = max(self._clock(), self._next_slot) + self.interval
