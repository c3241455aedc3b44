"""Link summarizing work for the bot: a global cap on concurrency, one job per URL at a time."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from bot.errors import InvalidURL
from bot.urls import canonical_url

if TYPE_CHECKING:
    from bot.pipeline import LinkResult


class LinkSummarizer(Protocol):
    """The part of `bot.pipeline.Pipeline` the bot uses."""

    async def summarize_url(self, url: str, *, lang: str | None = None) -> LinkResult: ...

    async def aclose(self) -> None: ...


class LinkJobs:
    """Run `summarize_url` with at most `max_concurrent` jobs fetching/summarizing at once.

    Requests for a canonical URL that is already being worked on wait for that job instead of
    taking a slot of their own, so ten users pasting the same breaking-news link cost one
    fetch and one model call (the pipeline's cache answers the ones that come later).
    """

    def __init__(self, pipeline: LinkSummarizer, *, max_concurrent: int) -> None:
        self.pipeline = pipeline
        self._slots = asyncio.Semaphore(max_concurrent)
        self._inflight: dict[tuple[str, str], asyncio.Future[LinkResult]] = {}

    async def summarize(self, url: str, *, lang: str | None = None) -> LinkResult:
        key = (_key(url), lang or "")
        running = self._inflight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[LinkResult] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            async with self._slots:
                result = await self.pipeline.summarize_url(url, lang=lang)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here: only the waiters re-raise it
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._inflight[key]


def _key(url: str) -> str:
    try:
        return canonical_url(url)
    except InvalidURL:
        return url  # the pipeline will say what is wrong with it
