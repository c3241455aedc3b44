"""What replicas share through Redis beyond the `limits` windows: a lock per key with a
lease (for single flight across replicas) and refunds of moving-window entries."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

import coredis
from coredis import PureToken

# A holder renews its lease every third of it: a replica that dies frees the key within
# one lease, one that lives keeps it for as long as its work runs.
LEASE_SECONDS = 30.0
POLL_SECONDS = 0.2

_RELEASE = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
            "return redis.call('del', KEYS[1]) end return 0")
_RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
          "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0")


def client(url: str) -> coredis.Redis[str]:
    return coredis.Redis.from_url(url, decode_responses=True)


class RedisKeyLock:
    """`async with lock.hold(key)`: one holder per key across every replica."""

    def __init__(self, redis: coredis.Redis[str], prefix: str, *,
                 lease: float = LEASE_SECONDS, poll: float = POLL_SECONDS) -> None:
        self._redis = redis
        self._prefix = prefix
        self._lease_ms = int(lease * 1000)
        self._poll = poll
        self._release = redis.register_script(_RELEASE)
        self._renew = redis.register_script(_RENEW)

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        name = f"{self._prefix}:flight:{key}"
        token = secrets.token_hex(8)
        # Polling, not an Event: the key is freed by another replica (or its lease).
        while not await self._redis.set(  # noqa: ASYNC110
            name, token, condition=PureToken.NX, px=self._lease_ms
        ):
            await asyncio.sleep(self._poll)
        renewing = asyncio.create_task(self._keep(name, token))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            # Shielded: a cancelled holder must still free the key for the others now,
            # not a lease later.
            await asyncio.shield(self._release(keys=[name], args=[token]))

    async def _keep(self, name: str, token: str) -> None:
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            await self._renew(keys=[name], args=[token, self._lease_ms])


class RedisRefunds:
    """limits keeps a moving window in Redis as a list, newest entry first."""

    def __init__(self, redis: coredis.Redis[str], prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def refund(self, key: str) -> None:
        await self._redis.lpop(f"{self._prefix}:{key}")
