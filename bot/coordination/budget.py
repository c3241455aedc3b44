"""Budgets and send limits over the `limits` library: exact moving windows, in this process's
memory or in Redis (then shared by every replica)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Protocol

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

# How long a waiter sleeps at most before asking again: a slot given back early (a refund)
# or another replica's clock may free one sooner than the window says.
_MAX_NAP = 0.5


class Refunds(Protocol):
    """Take back the latest entry of a moving window (the library has no call for it)."""

    async def refund(self, key: str) -> None: ...


class MemoryRefunds:
    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage

    async def refund(self, key: str) -> None:
        async with self._storage.locks[key]:
            entries = self._storage.events.get(key)
            if entries:
                del entries[0]  # the newest entry comes first


Storage = Callable[[], tuple[MovingWindowRateLimiter, Refunds]]


class Window:
    """At most `limit` events per key in any `seconds`, counted by the `limits` library.

    `storage` is asked on first use: a Redis client must be made inside the running loop.
    """

    def __init__(self, storage: Storage, name: str, limit: int, seconds: int) -> None:
        if limit < 1 or seconds < 1:
            raise ValueError("limit must be >= 1 and seconds >= 1")
        self.limit, self.seconds = limit, seconds
        self._storage = storage
        # limits stamps an entry with this process's clock before the call goes to Redis;
        # many calls queued on the connection would be stamped early and leave the window
        # early (two replicas let 48 through a window of 27). One at a time per process.
        self._turn = asyncio.Lock()
        self._item: RateLimitItem = RateLimitItemPerSecond(limit, seconds, namespace=name)

    async def acquire(self, key: str) -> float:
        """Record one event for `key` and return 0, or return the seconds until one is allowed.

        A refused attempt is not recorded: hammering the bot does not push the wait further.
        """
        limiter, _ = self._storage()
        async with self._turn:
            if await limiter.hit(self._item, key):
                return 0.0
            stats = await limiter.get_window_stats(self._item, key)
        # A moment, not 0: the caller tells the user "try again in …" and a waiter naps.
        return max(stats.reset_time - time.time(), 0.01)

    async def release(self, key: str) -> None:
        """Take back the latest event of `key`: the work it paid for was not done."""
        _, refunds = self._storage()
        await refunds.refund(self._item.key_for(key))

    async def wait(self, key: str) -> None:
        """Wait until an event for `key` is allowed, and record it."""
        # Polling, not an Event: the slot may be freed by another replica.
        while wait := await self.acquire(key):  # noqa: ASYNC110
            # A little jitter so that waiters on several replicas do not ask all at once.
            await asyncio.sleep(min(wait, _MAX_NAP) * random.uniform(1.0, 1.1))  # noqa: S311


def memory_windows() -> tuple[MovingWindowRateLimiter, Refunds]:
    storage = MemoryStorage()
    return MovingWindowRateLimiter(storage), MemoryRefunds(storage)


def redis_storage(url: str, prefix: str) -> RedisStorage:
    # limits names its async coredis storage `async+redis://`.
    return RedisStorage(f"async+{url}", key_prefix=prefix)
