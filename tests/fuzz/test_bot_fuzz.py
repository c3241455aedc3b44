"""Fuzzed messages and commands through the real bot: no crash, a bounded number of replies.

The bot runs in a thread of its own (its own event loop) for the whole test, so hypothesis
can drive it example by example from a plain function. Links are answered by a pipeline
that returns a canned summary at once (rendering and the handlers are what is fuzzed here,
not fetching); its fetcher knows no DNS names, so digest commands fail fast and offline.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.article import Article, Summary
from bot.cache import SummaryCache
from bot.config import Settings
from bot.fetch import Fetcher
from bot.pipeline import LinkResult, Pipeline
from bot.summarize.extractive import ExtractiveSummarizer
from bot.telegram.app import BotApp
from bot.urls import canonical_url, parse_http_url
from tests.fakes.botapi import FakeBotAPI, auto_entities
from tests.fakes.site import FakeDNS
from tests.fuzz.strategies import entities, message_text, odd_urls, spicy_text
from tests.harness import StartBot, settle

MAX_REPLIES = 3 + 1  # a summary per link (three at most) and one note
COMMANDS = ["start", "help", "lang", "subscribe", "unsubscribe", "time", "topics", "digest",
            "forget", "nosuchcommand", "START", "lang@newsbot_test_bot", "help@other_bot"]


class InstantPipeline(Pipeline):
    """A real Pipeline whose links get a canned summary without fetching anything."""

    async def summarize_url(self, url: str, *, lang: str | None = None) -> LinkResult:
        url = parse_http_url(url)  # the real gate: InvalidURL for what it refuses
        title = f"Story at {url}"
        article = Article(url=url, final_url=url, title=title, text="Some text.", site=None)
        summary = Summary(points=[f"A point about {url} & <friends>", "Another point."],
                          summarizer="fake", language=lang)
        return LinkResult(article, summary, canonical_url(url), cached=False)


def instant_pipeline(settings: Settings, cache: SummaryCache | None = None) -> Pipeline:
    return InstantPipeline(settings, fetcher=Fetcher(settings, resolver=FakeDNS()),
                           summarizer=ExtractiveSummarizer(), cache=cache)


class ErrorLog(logging.Handler):
    """Every ERROR the bot or PTB logs (the error handler logs each unhandled exception)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class BotThread:
    """A running bot on an event loop in another thread; `run(coro)` waits for a result."""

    def __init__(self, start_bot: StartBot) -> None:
        self._start_bot = start_bot
        self._ready: Future[BotApp] = Future()
        self._stop: asyncio.Event | None = None
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_until_complete,
                                        args=(self._main(),), daemon=True)

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with self._start_bot(pipeline_factory=instant_pipeline, fetch_timeout=1.0,
                                       rate_limit_links=1000) as app:
                self._ready.set_result(app)
                await self._stop.wait()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise

    def __enter__(self) -> BotApp:
        self._thread.start()
        return self._ready.result(timeout=30)

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)
        self.loop.close()

    def run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


@pytest.fixture
def bot(start_bot: StartBot) -> Iterator[tuple[BotThread, BotApp]]:
    runner = BotThread(start_bot)
    with runner as app:
        yield runner, app


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    """What a user might send: a command with odd arguments, or text with links and entities."""
    kind = draw(st.sampled_from(["command", "links", "entities", "caption"]))
    if kind == "command":
        args = draw(st.lists(st.one_of(spicy_text, odd_urls), max_size=4))
        text = " ".join([f"/{draw(st.sampled_from(COMMANDS))}", *args]).strip()
        return {"text": text[:4096]}
    if kind == "links":
        words = draw(st.lists(st.one_of(odd_urls, spicy_text), min_size=1, max_size=8))
        return {"text": " ".join(words)[:4096] or "x"}
    text = draw(message_text)
    found = draw(entities(text, valid=True))
    if kind == "caption":
        return {"caption": text, "caption_entities": found or auto_entities(text)}
    return {"text": text, "entities": found}


_users = itertools.count(70_000)


@pytest.fixture
def pushed() -> Iterator[int]:
    """The update_id of each message pushed: the fake numbers them 1, 2, 3… per instance."""
    return itertools.count(1)


@settings(max_examples=30, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(update=updates(), group=st.booleans())
def test_any_message_gets_a_bounded_answer_and_no_error(
    update: dict[str, Any], group: bool, botapi: FakeBotAPI,
    bot: tuple[BotThread, BotApp], errors: ErrorLog, pushed: Iterator[int],
) -> None:
    runner, app = bot
    user = next(_users)
    chat = -user if group else user
    botapi.push_message(user_id=user, chat_id=chat, **update)
    runner.run(settle(botapi, app, next(pushed)))
    replies = botapi.sent_to(chat)
    assert len(replies) <= MAX_REPLIES, [r.text for r in replies]
    assert not any(r.text.startswith("Reading ") for r in replies)  # each status resolved
    assert [r.getMessage() for r in errors.records] == []



async def test_the_bound_is_reached_by_four_links_and_counted_right(
    botapi: FakeBotAPI, start_bot: StartBot
) -> None:
    # The fuzz above only checks an upper bound; this shows the harness sees every reply.
    links = [f"https://news{i}.example/story" for i in range(4)]
    text = "🇺🇦 four: " + " ".join(links)
    async with start_bot(pipeline_factory=instant_pipeline) as app:
        botapi.push_message(text, user_id=77)
        await settle(botapi, app, 1)
    replies = botapi.sent_to(77)
    assert len(replies) == MAX_REPLIES
    assert sorted(r.text.split("\n")[0] for r in replies)[-3:] == [
        f"Story at {link}" for link in links[:3]]
    assert "first 3 links" in replies[-1].text
