"""One link job per user at a time, each with a deadline (issue 8, item 4, the Telegram side):
one user's huge links must not hold every job slot while everyone else waits."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from bot.telegram.jobs import JobTimeout, LinkJobs
from tests.fakes.articles import article_html
from tests.fakes.botapi import BotMessage, FakeBotAPI
from tests.fakes.site import FakeSite, Request, Response

StartBot = Callable[..., Any]
HEAVY, LIGHT = 1001, 2002


def answers(api: FakeBotAPI, chat_id: int, n: int) -> Callable[[], list[BotMessage]]:
    """The chat's messages once `n` of them are answers (no "Reading …" left among them)."""

    def check() -> list[BotMessage]:
        done = [m for m in api.sent_to(chat_id) if not m.text.startswith("Reading ")]
        return done if len(done) >= n else []

    return check


async def test_four_huge_links_from_one_user_do_not_hold_up_another_users_link(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    # The heavy user's pages answer only when the test lets them: "huge" without the wait.
    gate = threading.Event()

    def huge(n: int) -> Callable[[Request], Response]:
        def serve(_: Request) -> Response:
            gate.wait(20)
            return Response(article_html(f"Huge story {n}"))
        return serve

    heavy = [site.route(f"/huge/{n}", huge(n)) for n in range(4)]
    light = site.page("/light", article_html("A small story"))
    try:
        async with start_bot(max_concurrent_jobs=2, max_links_per_message=4, fetch_timeout=30):
            botapi.push_message(" ".join(heavy), user_id=HEAVY)
            await botapi.wait_for(lambda: site.requests_to("/huge/0"))
            botapi.push_message(light, user_id=LIGHT)
            # Answered while the heavy user's first job still runs: delayed by no job at all.
            (small,) = await botapi.wait_for(answers(botapi, LIGHT, 1), timeout=10)
            started = [n for n in range(4) if site.requests_to(f"/huge/{n}")]
            gate.set()
            done = await botapi.wait_for(answers(botapi, HEAVY, 4), timeout=20)
    finally:
        gate.set()
    assert small.text.startswith("A small story")
    assert started == [0]  # the other three waited for their own user's first job
    assert sorted(m.text.split("\n")[0] for m in done) == [f"Huge story {n}" for n in range(4)]


async def test_a_link_job_past_its_deadline_is_stopped_and_the_next_one_runs(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    slow = site.page("/slow", article_html("Slow story"), delay=5)
    quick = site.page("/quick", article_html("Quick story"))
    async with start_bot(link_job_timeout=1, fetch_timeout=10):
        botapi.push_message(f"{slow} {quick}", user_id=HEAVY)
        sent = await botapi.wait_for(answers(botapi, HEAVY, 2), timeout=10)
    texts = sorted(m.text.split("\n")[0] for m in sent)
    assert texts == ["I stopped reading 127.0.0.1: it was taking too long. Please try again later.",
                     "Quick story"]


class GatedPipeline:
    """Answers a URL only when the test opens its gate; records the order it was asked in."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}

    def gate(self, url: str) -> asyncio.Event:
        return self.gates.setdefault(url, asyncio.Event())

    async def summarize_url(self, url: str, *, lang: str | None = None) -> object:
        self.asked.append(url)
        await self.gate(url).wait()
        return url

    async def aclose(self) -> None:
        pass


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_another_users_job_runs_after_at_most_one_of_the_heavy_users_jobs() -> None:
    # One slot for everyone: the worst case. The light user waits for the job that holds
    # it, then goes before the heavy user's second link.
    pipeline = GatedPipeline()
    jobs = LinkJobs(pipeline, max_concurrent=1)  # type: ignore[arg-type]
    heavy = [asyncio.create_task(jobs.summarize(f"https://e.example/h{n}", user="heavy"))
             for n in range(4)]
    await settle()
    light = asyncio.create_task(jobs.summarize("https://e.example/light", user="light"))
    await settle()
    for url in ["https://e.example/h0", "https://e.example/light",
                *(f"https://e.example/h{n}" for n in range(1, 4))]:
        pipeline.gate(url).set()
        await settle()
    await asyncio.gather(*heavy, light)
    assert pipeline.asked == ["https://e.example/h0", "https://e.example/light",
                              "https://e.example/h1", "https://e.example/h2",
                              "https://e.example/h3"]


async def test_a_job_past_its_deadline_fails_for_every_waiter_and_frees_its_slot() -> None:
    pipeline = GatedPipeline()
    jobs = LinkJobs(pipeline, max_concurrent=1, deadline=0.05)  # type: ignore[arg-type]
    first = asyncio.create_task(jobs.summarize("https://e.example/stuck", user="a"))
    shared = asyncio.create_task(jobs.summarize("https://e.example/stuck", user="b"))
    for task in (first, shared):
        try:
            await task
        except JobTimeout as exc:
            assert exc.seconds == 0.05
        else:
            raise AssertionError("the stuck job was not stopped")
    pipeline.gate("https://e.example/next").set()
    assert await jobs.summarize("https://e.example/next", user="a") == "https://e.example/next"
    assert jobs._turns == {}  # no per-user state left behind
