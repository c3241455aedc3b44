"""What replicas of the bot must share, behind one narrow seam: per-user budgets, Telegram's
send limits and single flight of the same link.

Without `REDIS_URL` everything lives in this process's memory (one process works as it
always did); with it, in Redis, so N webhook replicas give a user one budget, send at most
30 messages/s between them, and summarize a link pasted to two of them once. The rest of
the code asks `Coordination` and does not know which it got.
"""

from __future__ import annotations

from typing import Any

from limits.aio.strategies import MovingWindowRateLimiter

from bot.coordination import budget
from bot.coordination.budget import Window
from bot.coordination.flight import KeyLock, LocalLock, SingleFlight

__all__ = ["Coordination", "SingleFlight", "Window"]


class Coordination:
    """Windows and single flights, local or shared through Redis (made lazily, in the loop)."""

    def __init__(self, redis_url: str | None = None, *, namespace: str = "newsbot") -> None:
        self.redis_url = redis_url
        self.namespace = namespace
        self._windows: tuple[MovingWindowRateLimiter, budget.Refunds] | None = None
        self._lock: KeyLock | None = None
        self._clients: list[Any] = []

    @property
    def shared(self) -> bool:
        return self.redis_url is not None

    def window(self, name: str, limit: int, seconds: int) -> Window:
        """At most `limit` events per key in any `seconds` (shared by replicas with Redis)."""
        return Window(self._limiter, name, limit, seconds)

    def flights(self) -> SingleFlight[Any]:
        """Single flight per key; across replicas with Redis."""
        return SingleFlight(_LazyLock(self))

    def _limiter(self) -> tuple[MovingWindowRateLimiter, budget.Refunds]:
        if self._windows is None:
            if self.redis_url is None:
                self._windows = budget.memory_windows()
            else:
                from bot.coordination import redis

                storage = budget.redis_storage(self.redis_url, f"{self.namespace}:limits")
                client = redis.client(self.redis_url)
                self._clients += [storage, client]
                refunds = redis.RedisRefunds(client, f"{self.namespace}:limits")
                self._windows = (MovingWindowRateLimiter(storage), refunds)
        return self._windows

    def _key_lock(self) -> KeyLock:
        if self._lock is None:
            if self.redis_url is None:
                self._lock = LocalLock()
            else:
                from bot.coordination import redis

                client = redis.client(self.redis_url)
                self._clients.append(client)
                self._lock = redis.RedisKeyLock(client, self.namespace)
        return self._lock

    async def check(self) -> None:
        """Raise if Redis cannot be reached (at start-up, before any update is handled)."""
        if self.redis_url is None:
            return
        from bot.coordination import redis

        client = redis.client(self.redis_url)
        try:
            await client.ping()
        finally:
            _disconnect(client)

    async def aclose(self) -> None:
        while self._clients:
            _disconnect(self._clients.pop())
        self._windows, self._lock = None, None


def _disconnect(client: Any) -> None:
    # coredis's pool (limits' storage keeps its client in `bridge.storage`).
    inner = getattr(getattr(client, "bridge", None), "storage", client)
    pool = getattr(inner, "connection_pool", None)
    if pool is not None:
        pool.disconnect()


class _LazyLock:
    def __init__(self, owner: Coordination) -> None:
        self._owner = owner

    def hold(self, key: str) -> Any:
        return self._owner._key_lock().hold(key)

