"""LinkJobs: one job per canonical URL at a time, and a global cap on running jobs."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import ExtractionError
from bot.telegram.jobs import LinkJobs


class GatedPipeline:
    """Answers only when a test opens the gate; records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.gate = asyncio.Event()
        self.error: Exception | None = None

    async def summarize_url(self, url: str, *, lang: str | None = None) -> object:
        self.asked.append(url)
        await self.gate.wait()
        if self.error is not None:
            raise self.error
        return f"summary of {url} in {lang}"

    async def aclose(self) -> None:
        pass


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_concurrent_requests_for_one_article_share_a_job() -> None:
    pipeline = GatedPipeline()
    jobs = LinkJobs(pipeline, max_concurrent=4)  # type: ignore[arg-type]
    first = asyncio.create_task(jobs.summarize("https://e.example/a?utm_source=x", lang="en"))
    second = asyncio.create_task(jobs.summarize("https://E.example/a", lang="en"))
    other_lang = asyncio.create_task(jobs.summarize("https://e.example/a", lang="de"))
    await settle()
    pipeline.gate.set()
    assert await first == await second
    assert await other_lang == "summary of https://e.example/a in de"
    assert len(pipeline.asked) == 2


async def test_a_shared_failure_reaches_every_waiter() -> None:
    pipeline = GatedPipeline()
    pipeline.error = ExtractionError("no text")
    jobs = LinkJobs(pipeline, max_concurrent=1)  # type: ignore[arg-type]
    tasks = [asyncio.create_task(jobs.summarize("https://e.example/a")) for _ in range(3)]
    await settle()
    pipeline.gate.set()
    for task in tasks:
        with pytest.raises(ExtractionError):
            await task
    assert len(pipeline.asked) == 1


async def test_no_more_than_the_cap_run_at_once() -> None:
    pipeline = GatedPipeline()
    jobs = LinkJobs(pipeline, max_concurrent=2)  # type: ignore[arg-type]
    tasks = [asyncio.create_task(jobs.summarize(f"https://e.example/{i}")) for i in range(3)]
    await settle()
    assert len(pipeline.asked) == 2
    pipeline.gate.set()
    await asyncio.gather(*tasks)
    assert len(pipeline.asked) == 3
