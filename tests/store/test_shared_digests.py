"""A round builds each distinct digest once and reuses it for every chat that shares it.

Through the production path — `newsbot`'s own wiring (build_application, post_init), the
DigestSender and the fake Telegram Bot API — on SQLite and PostgreSQL: chats with the same
topics, language and local date get the very same messages from one build (counted, and
the model asked once per story and language); a chat whose history differs (yesterday's
version of a story) still gets its own update line; no chat gets two digests, even with two
bot processes on one database; and the round records every delivery and story it sent.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from bot.config import Settings
from bot.i18n import SHIPPED, translator
from bot.news.selection import SentStory
from bot.store import Store
from bot.telegram import messages
from bot.telegram.app import build_application
from bot.telegram.flood import FloodLimiter
from bot.urls import canonical_url
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.newsworld import NewsWorld
from tests.fakes.openai_server import FakeOpenAI

NK, FED = "North Korea", "Federal Reserve"
Services = Any


@asynccontextmanager
async def newsbot(
    api: FakeBotAPI, llm: FakeOpenAI, world: NewsWorld, database_url: str, at: datetime
) -> AsyncIterator[Services]:
    """One bot process as `newsbot run` wires it, its clock stopped at `at`."""
    settings = Settings(
        telegram_bot_token=api.token, telegram_api_url=api.base_url,  # type: ignore[arg-type]
        database_url=database_url, summarizer="llm", openai_base_url=llm.base_url,
        news_search_feeds=world.templates, fetch_allow_private_hosts=world.allow_hosts,
        fetch_timeout=5,
    )
    lifted = FloodLimiter(private_chat_rate=1000, overall_rate=1000, group_rate=1000)
    app = build_application(settings, rate_limiter=lifted, clock=lambda: at, digest_tick=None)
    await app.initialize()
    assert app.post_init is not None and app.post_shutdown is not None
    await app.post_init(app)
    try:
        yield app.bot_data.services
    finally:
        await app.post_shutdown(app)
        await app.shutdown()


# A digest starts with its title, in the chat's language.
DIGEST_TITLES = tuple(f"<b>{translator(lang)(messages.DIGEST_TITLE)}" for lang in SHIPPED)


def digests(api: FakeBotAPI) -> dict[int, list[str]]:
    """Every digest message the fake Bot API accepted, as sent (HTML), by chat."""
    out: dict[int, list[str]] = {}
    for call in api.calls("sendMessage"):
        if call.status == 200 and str(call.params["text"]).startswith(DIGEST_TITLES):
            out.setdefault(int(call.params["chat_id"]), []).append(str(call.params["text"]))
    return out


def follow(store: Store, chat_id: int, *topics: str, lang: str = "en") -> None:
    for topic in topics:
        store.subscriptions.add(chat_id, topic, "search")
    store.chats.set_language(chat_id, lang)


def story_languages(store: Store) -> int:
    """Distinct (story, chat language) pairs the round recorded as shown."""
    with store.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM (SELECT DISTINCT s.story_key, c.language FROM sent_stories s "
            "JOIN chats c ON c.chat_id = s.chat_id) AS shown")).scalar_one())


async def test_chats_sharing_topics_language_and_date_get_one_build_of_identical_messages(
    store: Store, database_url: str, world: NewsWorld, eight: datetime
) -> None:
    at = eight + timedelta(days=1, minutes=1)
    for chat in (1, 2, 3):
        await asyncio.to_thread(follow, store, chat, NK)
    for chat in (4, 5):
        await asyncio.to_thread(follow, store, chat, NK, FED)
    await asyncio.to_thread(follow, store, 6, NK, lang="uk")  # Ukrainian summaries
    with FakeBotAPI() as api, FakeOpenAI() as llm:
        async with newsbot(api, llm, world, database_url, at) as services:
            report = await services.digests.run_round(services.sender, now=at)
            again = await services.digests.run_round(services.sender, now=at)
        sent = digests(api)

    # Three distinct digests: {NK} in English, {NK, Fed} in English, {NK} in Ukrainian.
    assert (report.sent, report.failed, report.built) == (6, 0, 3), report
    assert again.due == 0
    assert {chat: len(texts) for chat, texts in sent.items()} == dict.fromkeys(range(1, 7), 1)
    assert sent[1] == sent[2] == sent[3] and sent[4] == sent[5]
    assert sent[1] != sent[4]
    # The model was asked at most once per story and language, not once per chat.
    assert 0 < llm.calls <= await asyncio.to_thread(story_languages, store)


async def test_a_chat_sent_yesterdays_version_gets_its_own_update_line(
    store: Store, database_url: str, world: NewsWorld, eight: datetime
) -> None:
    at = eight + timedelta(days=1, minutes=1)
    missile = [r for r in world.reports[NK] if r.story == "missile"]
    for chat in (1, 2, 3):
        await asyncio.to_thread(follow, store, chat, NK)
    # Yesterday chats 2 and 3 were sent the missile story as one outlet reported it; four
    # report it today, so for them it is an update; chat 1 never saw it.
    yesterday = SentStory(
        story_key="missile-yesterday", member_urls=frozenset({canonical_url(missile[0].url)}),
        outlet_count=1, points=("North Korea fired a missile.",),
    )
    for chat in (2, 3):
        await asyncio.to_thread(store.sent.record, chat, [yesterday], at - timedelta(days=1))
    with FakeBotAPI() as api, FakeOpenAI() as llm:
        async with newsbot(api, llm, world, database_url, at) as services:
            report = await services.digests.run_round(services.sender, now=at)
        sent = digests(api)

    assert (report.sent, report.built) == (3, 2), report
    (fresh,), (update,), (same,) = sent[1], sent[2], sent[3]
    assert "Update:" not in fresh
    assert "Update:" in update and "now also reported by" in update
    assert same == update  # the same history shares the same build
    # The update is remembered under the key the chat knows the story by.
    remembered = await asyncio.to_thread(store.sent.since, 2, at - timedelta(hours=1))
    assert "missile-yesterday" in remembered
    assert remembered["missile-yesterday"].outlet_count >= 4


async def test_two_processes_send_every_digest_once_and_record_each_in_bulk(
    store: Store, database_url: str, world: NewsWorld, eight: datetime
) -> None:
    at = eight + timedelta(days=1, minutes=1)
    chats = range(1, 121)

    def subscribe() -> None:
        for chat in chats:
            follow(store, chat, *([NK] if chat % 3 else [NK, FED]),
                   lang=("en", "uk", "de")[chat % 3])

    await asyncio.to_thread(subscribe)
    with FakeBotAPI() as api, FakeOpenAI() as llm:
        async with newsbot(api, llm, world, database_url, at) as one, \
                newsbot(api, llm, world, database_url, at) as two:
            reports = await asyncio.gather(
                one.digests.run_round(one.sender, now=at),
                two.digests.run_round(two.sender, now=at),
            )
        sent = digests(api)

    assert sum(r.sent for r in reports) == len(chats)
    assert sum(r.failed for r in reports) == 0
    assert Counter(len(texts) for texts in sent.values()) == {1: len(chats)}
    assert set(sent) == set(chats)

    def recorded() -> tuple[Counter[str], int, int]:
        with store.engine.connect() as conn:
            statuses = Counter(row[0] for row in conn.execute(
                text("SELECT status FROM digest_deliveries")))
            dated = conn.execute(text(
                "SELECT count(*) FROM chats WHERE last_digest_at IS NOT NULL")).scalar_one()
            with_stories = conn.execute(text(
                "SELECT count(DISTINCT chat_id) FROM sent_stories")).scalar_one()
        return statuses, int(dated), int(with_stories)

    statuses, dated, with_stories = await asyncio.to_thread(recorded)
    assert statuses == {"sent": len(chats)}
    assert dated == with_stories == len(chats)
