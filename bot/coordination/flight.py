"""Single flight: one piece of work per key at a time, its result shared by every caller.

One rule for cancellation everywhere: a caller that is cancelled (its deadline passed, its
user went away) leaves, and the work goes on for the others; when the last caller has left,
the work is cancelled, since nobody is waiting for it any more.

Across replicas a `KeyLock` is taken around the work: a caller on another replica waits for
the lock, then runs its own work, which finds the first one's result in the shared cache
(the link cache in PostgreSQL), so a link sent to two replicas at once is fetched and
summarized once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Generic, Protocol, TypeVar

V = TypeVar("V")


class KeyLock(Protocol):
    """A lock per key, possibly shared with other processes."""

    def hold(self, key: str) -> contextlib.AbstractAsyncContextManager[None]: ...


class LocalLock:
    """No lock: within one process `SingleFlight` itself keeps one flight per key."""

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        yield


class _Flight(Generic[V]):
    __slots__ = ("task", "waiters")

    def __init__(self, task: asyncio.Task[V]) -> None:
        self.task = task
        self.waiters = 0


class SingleFlight(Generic[V]):
    """`await flights.run(key, work)`: callers with the same key share one run of `work`."""

    def __init__(self, lock: KeyLock | None = None) -> None:
        self._lock = lock
        self._flights: dict[Hashable, _Flight[V]] = {}

    def running(self, key: Hashable) -> bool:
        return key in self._flights

    async def run(self, key: Hashable, work: Callable[[], Awaitable[V]]) -> V:
        flight = self._flights.get(key)
        if flight is None:
            flight = self._flights[key] = _Flight(asyncio.ensure_future(self._locked(key, work)))
            flight.task.add_done_callback(functools.partial(self._land, key, flight))
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task)
        except asyncio.CancelledError:
            if not flight.task.done() and flight.waiters == 1:
                flight.task.cancel()  # the last one waiting for it is gone
            raise
        finally:
            flight.waiters -= 1

    async def _locked(self, key: Hashable, work: Callable[[], Awaitable[V]]) -> V:
        if self._lock is None:
            return await work()
        async with self._lock.hold(str(key)):
            return await work()

    def _land(self, key: Hashable, flight: _Flight[V], _task: object) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.task.cancelled():
            flight.task.exception()  # retrieved: only the waiters re-raise it
