"""A digest round while its neighbours misbehave: the model, the Bot API, the process itself.

Every chat still gets that day's digest exactly once; chats that blocked the bot are
marked inactive; nothing crashes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Defaults
from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.pipeline import Pipeline
from bot.rounds import Digests
from bot.store import Store
from bot.store.tables import SubscriptionRow
from bot.telegram.delivery import DigestSender
from bot.telegram.digest_render import render_digest
from bot.telegram.flood import FloodLimiter
from bot.telegram.outgoing import MarkupBot
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.newsfeeds import FED
from tests.fakes.newsworld import NewsWorld
from tests.fakes.openai_server import FakeOpenAI, FakeReply

TITLE = "Your daily digest"


@pytest.fixture
def at() -> datetime:
    """Tomorrow 08:01 UTC, just after the default slot (the clock is read per test)."""
    now = datetime.now(UTC).replace(hour=8, minute=1, second=0, microsecond=0)
    return now + timedelta(days=1)


@pytest.fixture
def news_now(at: datetime) -> datetime:
    """`world`'s news is from half an hour before the round."""
    return at - timedelta(minutes=30)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'newsbot.sqlite3'}")
    yield opened
    opened.close()


def subscribe(store: Store, chats: list[int]) -> None:
    for chat in chats:
        store.subscriptions.add(chat, "Federal Reserve", "search")


@pytest.fixture
async def sender(botapi: FakeBotAPI) -> AsyncIterator[DigestSender]:
    # A short read timeout so a stalled answer becomes a TimedOut within the test.
    bot = MarkupBot(  # what production sends through: a str as HTML is refused
        botapi.token, base_url=f"{botapi.base_url}/bot",
        request=HTTPXRequest(connection_pool_size=8, read_timeout=0.5),
        rate_limiter=FloodLimiter(private_chat_rate=1000, backoff=0.01),
        defaults=Defaults(parse_mode=ParseMode.HTML,
                          link_preview_options=LinkPreviewOptions(is_disabled=True)),
    )
    async with bot:
        made = DigestSender(bot)
        yield made
        await made.aclose()


def digests_for(store: Store, world: NewsWorld, *, at: datetime, **settings: object) -> Digests:
    config = Settings(news_search_feeds=world.templates,
                      fetch_allow_private_hosts=world.allow_hosts, fetch_timeout=5,
                      **settings)  # type: ignore[arg-type]
    return Digests(config, pipeline=Pipeline.build(config), store=store, clock=lambda: at)


def digests_received(api: FakeBotAPI, chat: int) -> int:
    """Digest messages in `chat` (a digest's first message carries the title)."""
    return sum(1 for m in api.sent_to(chat) if TITLE in (m.text or ""))


async def test_model_down_during_a_round_every_chat_gets_extractive_points(
    at: datetime, store: Store, world: NewsWorld, sender: DigestSender, botapi: FakeBotAPI
) -> None:
    chats = [1, 2, 3, 4]
    subscribe(store, chats)
    with FakeOpenAI() as llm:
        for _ in range(50):
            llm.queue(FakeReply(status=500))
        digests = digests_for(store, world, at=at, summarizer="llm",
                              openai_base_url=llm.base_url, llm_max_retries=2)
        report = await digests.run_round(sender)
        await digests.pipeline.aclose()
        assert llm.calls > 0  # it was asked, and failed
    assert report.sent == len(chats) and report.failed == 0
    leads = " ".join(r.lead for r in FED)
    for chat in chats:
        assert digests_received(botapi, chat) == 1
        text = "\n".join(m.text or "" for m in botapi.sent_to(chat))
        # Each bullet ends with the outlets it came from: " — CNBC".
        bullets = [ln[2:].rsplit(" — ", 1)[0] for ln in text.splitlines() if ln.startswith("• ")]
        assert bullets and all(b in leads or b.rstrip("…") in leads for b in bullets[:1])


async def test_bot_api_faults_during_a_round(
    at: datetime, store: Store, world: NewsWorld, sender: DigestSender, botapi: FakeBotAPI
) -> None:
    chats = list(range(10, 18))
    subscribe(store, chats)
    botapi.block(12)  # 403 for one chat
    botapi.fail_next("sendMessage", times=1, status=429, retry_after=1)
    botapi.fail_next("sendMessage", times=2, status=500)
    # One answer goes missing after Telegram took the message: a read timeout.
    botapi.stall_next("sendMessage", 1.0, deliver=True, chat_id=15)
    digests = digests_for(store, world, at=at)
    first = await digests.run_round(sender)
    # Later ticks retry whatever failed; none may send a digest twice.
    for minutes in (6, 12, 18):
        await digests.run_round(sender, now=at + timedelta(minutes=minutes))
    await digests.pipeline.aclose()
    assert first.gone == 1
    chat = store.chats.get(12)
    assert chat is not None and chat.active is False
    assert digests_received(botapi, 12) == 0
    assert {c: digests_received(botapi, c) for c in chats if c != 12} == {
        c: 1 for c in chats if c != 12
    }


async def test_a_lost_request_is_sent_again_later(
    at: datetime, store: Store, world: NewsWorld, sender: DigestSender, botapi: FakeBotAPI
) -> None:
    subscribe(store, [30])
    # Telegram never got it: a 504 after a wait. The flood limiter retries it 3 times at
    # once; when those fail too, the digest is left to a later tick.
    botapi.stall_next("sendMessage", 0.1, deliver=False, times=4)
    digests = digests_for(store, world, at=at)
    first = await digests.run_round(sender)
    assert first.failed == 1 and digests_received(botapi, 30) == 0
    later = await digests.run_round(sender, now=at + timedelta(minutes=6))
    await digests.pipeline.aclose()
    assert later.sent == 1 and digests_received(botapi, 30) == 1


def test_killed_mid_round_and_restarted_sends_each_digest_once(
    tmp_path: Path, world: NewsWorld, botapi: FakeBotAPI
) -> None:
    """SIGKILL a real `newsbot run` in the middle of a round; the restarted bot finishes it."""
    db = tmp_path / "newsbot.sqlite3"
    store = Store.open(f"sqlite:///{db}")
    now = datetime.now(UTC)
    due_time = (now - timedelta(minutes=2)).time().replace(second=0, microsecond=0)
    chats = list(range(100, 124))
    for chat in chats:
        store.chats.set_schedule(chat, due_time, "UTC")
        store.subscriptions.add(chat, "Federal Reserve", "search")
    with store.engine.begin() as conn:  # subscribed since yesterday, so today's slot counts
        conn.execute(update(SubscriptionRow).values(created_at=now - timedelta(days=1)))
    store.close()
    env = {
        **os.environ, **world.env(),
        "TELEGRAM_BOT_TOKEN": botapi.token, "TELEGRAM_API_URL": botapi.base_url,
        "DATABASE_URL": f"sqlite:///{db}", "SUMMARIZER": "extractive", "PTB_TIMEDELTA": "1",
    }
    # The first process gets through a few digests, then every further send hangs without
    # taking effect — that's when it is killed.
    delivered_first = 5
    botapi.stall_next("sendMessage", 30.0, times=1000, deliver=False, after=delivered_first)
    first = _start(env, tmp_path / "first.log")
    try:
        botapi.wait_for_sync(
            # A condition, not a sleep: generous, since a child that imports the whole bot
            # on a loaded 2-core machine can take a minute before its first round.
            lambda: sum(digests_received(botapi, c) for c in chats) >= delivered_first,
            timeout=180,
        )
        # Killed mid-round, outside the one-commit window the design allows a crash (a
        # digest out but not yet recorded, rounds._Recorder): what went out is recorded,
        # and the next sends are in flight — the fake holds them, so they never take effect.
        botapi.wait_for_sync(
            lambda: botapi.stalled("sendMessage") >= 1 and recorded_sent(db) >= delivered_first,
            timeout=60,
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    botapi.clear_stalls()
    second_log = tmp_path / "second.log"
    second = _start(env, second_log)
    try:
        botapi.wait_for_sync(
            lambda: all(digests_received(botapi, c) >= 1 for c in chats), timeout=180
        )
        # The round that sent them has ended (its summary line is logged after its last
        # send): a duplicate from it, if any, has arrived by now.
        botapi.wait_for_sync(lambda: "digest round:" in second_log.read_text(), timeout=60)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            second.kill()
    assert Counter(digests_received(botapi, c) for c in chats) == Counter({1: len(chats)})


def recorded_sent(db: Path) -> int:
    """Digests the bot's database records as sent (read beside the running bot)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM digest_deliveries WHERE status = 'sent'"
        ).fetchone()
    return int(count)


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own handle
        return subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def test_rendered_digest_title_is_what_the_tests_count(at: datetime) -> None:
    from bot.rounds import ChatDigest

    assert TITLE in render_digest(ChatDigest(1, at.date(), "en", ()))[0]
