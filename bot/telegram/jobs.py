"""Link summarizing work for the bot: a global cap on concurrency, one job per URL at a time,
one job per user at a time, and a deadline on each job."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable
from typing import TYPE_CHECKING, Protocol

from bot import metrics
from bot.coordination import SingleFlight
from bot.errors import InvalidURL, NewsbotError
from bot.urls import canonical_url

if TYPE_CHECKING:
    from bot.pipeline import LinkResult


class LinkSummarizer(Protocol):
    """The part of `bot.pipeline.Pipeline` the bot uses."""

    async def summarize_url(self, url: str, *, lang: str | None = None) -> LinkResult: ...

    async def aclose(self) -> None: ...


class JobTimeout(NewsbotError):
    """A job ran past its deadline (LINK_JOB_TIMEOUT) and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the job took longer than {seconds:g} s and was stopped")
        self.seconds = seconds


class LinkJobs:
    """Run `summarize_url` with at most `max_concurrent` jobs fetching/summarizing at once.

    Requests for a canonical URL that is already being worked on wait for that job instead of
    taking a slot of their own, so ten users pasting the same breaking-news link cost one
    fetch and one model call (the pipeline's cache answers the ones that come later). With
    flights shared through Redis this holds across replicas: the job waits for the other
    replica's to end, then finds its summary in the shared cache.

    Each user has at most one job running; their other links queue behind it (in order),
    so one user pasting huge articles holds one slot, never all of them, and everyone
    else's links go on. Every job is stopped at `deadline` seconds.
    """

    def __init__(self, pipeline: LinkSummarizer, *, max_concurrent: int,
                 deadline: float | None = None,
                 flights: SingleFlight[LinkResult] | None = None) -> None:
        self.pipeline = pipeline
        self.deadline = deadline
        self._slots = asyncio.Semaphore(max_concurrent)
        self._flights: SingleFlight[LinkResult] = flights or SingleFlight()
        # Per-user turns, with how many jobs hold or wait for each (to drop idle ones).
        self._turns: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    async def summarize(self, url: str, *, lang: str | None = None,
                        user: Hashable | None = None) -> LinkResult:
        key = f"link:{lang or ''}:{_key(url)}"
        if self._flights.running(key):
            return await self._flights.run(key, lambda: self._job(url, lang))
        async with self._user_turn(user):
            # While this user's earlier links ran, someone may have started this one: then
            # this joins it.
            return await self._flights.run(key, lambda: self._job(url, lang))

    async def _job(self, url: str, lang: str | None) -> LinkResult:
        try:
            async with self._slots, self._deadline():
                result = await self.pipeline.summarize_url(url, lang=lang)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            metrics.link_failed(exc)
            raise
        metrics.link_summarized()
        return result

    @contextlib.asynccontextmanager
    async def turn(self, user: Hashable | None) -> AsyncIterator[None]:
        """Other work done for a user (a feed check) queues with their links, in a slot,
        under the same deadline."""
        async with self._user_turn(user), self._slots, self._deadline():
            yield

    @contextlib.asynccontextmanager
    async def _deadline(self) -> AsyncIterator[None]:
        timeout = asyncio.timeout(self.deadline)
        try:
            async with timeout:
                yield
        except TimeoutError as exc:
            if not timeout.expired():  # a timeout of the work itself, not ours
                raise
            raise JobTimeout(self.deadline or 0) from exc

    @contextlib.asynccontextmanager
    async def _user_turn(self, user: Hashable | None) -> AsyncIterator[None]:
        if user is None:
            yield
            return
        lock, users = self._turns.get(user, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._turns[user] = (lock, users + 1)
        try:
            async with lock:  # asyncio.Lock is fair: the user's links run in order
                yield
        finally:
            lock, users = self._turns[user]
            if users <= 1:
                del self._turns[user]
            else:
                self._turns[user] = (lock, users - 1)


def _key(url: str) -> str:
    try:
        return canonical_url(url)
    except InvalidURL:
        return url  # the pipeline will say what is wrong with it
