"""Scheduled digests: the JobQueue's rounds with a frozen clock, blocked chats, 429s, and two
schedulers sharing one PostgreSQL database."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from bot.config import Settings
from bot.pipeline import Pipeline
from bot.rounds import ChatDigest, Digests
from bot.store import Store, StoreSummaryCache
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.databases import PG_URL, new_pg_database
from tests.fakes.newsworld import NewsWorld
from tests.harness import Frozen, StartBot, digests_in, follow


async def test_a_due_chat_gets_exactly_one_digest_from_the_ticking_job(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot, frozen: Frozen
) -> None:
    async with start_bot(**world.settings(), clock=frozen, digest_tick=0.05) as app:
        services = app.bot_data.services
        await asyncio.to_thread(follow, services.store, 1001, frozen.slot)
        later = (frozen.now + timedelta(hours=1)).time()
        await asyncio.to_thread(follow, services.store, 1003, later)  # not yet due
        (digest,) = await botapi.wait_for(lambda: digests_in(botapi, 1001), timeout=10)
        done = services.rounds.completed
        # Several more rounds run; none sends it again.
        await botapi.wait_for(lambda: services.rounds.completed >= done + 3)
        delivery = services.store.deliveries.get(1001, frozen.slot_date)
    assert len(digests_in(botapi, 1001)) == 1 and botapi.sent_to(1003) == []
    assert "reported by 4 outlets" in digest.text
    assert digest.link_preview is not None and digest.link_preview["prefer_small_media"]
    assert delivery is not None and delivery.status == "sent"


async def test_a_blocked_chat_is_marked_inactive_and_others_still_get_theirs(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot, frozen: Frozen
) -> None:
    botapi.block(1002)
    botapi.fail_next("sendMessage", status=429, retry_after=1)  # and Telegram is busy once
    async with start_bot(**world.settings(), clock=frozen) as app:
        services = app.bot_data.services
        for chat_id in (1001, 1002):
            await asyncio.to_thread(follow, services.store, chat_id, frozen.slot)
        report = await services.rounds.tick()
        again = await services.rounds.tick()
        gone = services.store.chats.get(1002)
    assert report is not None and (report.sent, report.gone, report.failed) == (1, 1, 0)
    assert again is not None and again.due == 0  # sent and gone chats are not due again
    assert len(digests_in(botapi, 1001)) == 1
    assert gone is not None and gone.active is False and botapi.sent_to(1002) == []
    statuses = Counter(c.status for c in botapi.calls("sendMessage"))
    assert statuses == {429: 1, 200: 1, 403: 1}


async def test_a_bot_api_that_is_briefly_unavailable_still_gets_the_digest_once(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot, frozen: Frozen
) -> None:
    # Two 503s (retried with backoff), then a 429 (waited out as asked): the same retry
    # policy as fetching and the model (bot.retries), and one digest in the end.
    botapi.fail_next("sendMessage", times=2, status=503, description="Service Unavailable")
    botapi.fail_next("sendMessage", status=429, retry_after=1)
    async with start_bot(**world.settings(), clock=frozen) as app:
        services = app.bot_data.services
        await asyncio.to_thread(follow, services.store, 1001, frozen.slot)
        report = await services.rounds.tick()
    assert report is not None and (report.sent, report.failed) == (1, 0)
    assert len(digests_in(botapi, 1001)) == 1
    assert [c.status for c in botapi.calls("sendMessage")] == [503, 503, 429, 200]


async def test_a_tick_while_a_round_runs_is_skipped(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot, frozen: Frozen
) -> None:
    async with start_bot(**world.settings(), clock=frozen) as app:
        services = app.bot_data.services
        await asyncio.to_thread(follow, services.store, 1001, frozen.slot)
        first = asyncio.create_task(services.rounds.tick())
        await asyncio.sleep(0)  # the first round has started and holds the lock
        skipped = await services.rounds.tick()
        report = await first
    assert skipped is None and services.rounds.skipped == 1
    assert report is not None and report.sent == 1 and len(digests_in(botapi, 1001)) == 1


# --- two processes, one PostgreSQL database ---------------------------------------------------


@pytest.fixture
def pg_url() -> Iterator[str]:

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 5})
    try:
        with admin.connect():
            pass
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is unreachable: {exc}")
        pytest.skip(f"PostgreSQL is unreachable: {exc}")
    try:
        with new_pg_database(admin) as url:
            yield url
    finally:
        admin.dispose()


@pytest.mark.postgres
async def test_two_schedulers_on_one_database_send_each_digest_once(
    pg_url: str, world: NewsWorld, frozen: Frozen
) -> None:
    settings = Settings(database_url=pg_url, summarizer="extractive", **world.settings())
    stores = [Store.from_settings(settings) for _ in range(2)]
    pipelines = [Pipeline.build(settings, cache=StoreSummaryCache(s)) for s in stores]
    schedulers = [Digests(settings, pipeline=p, store=s, clock=frozen)
                  for p, s in zip(pipelines, stores, strict=True)]
    chats = list(range(2001, 2021))
    for chat_id in chats:
        follow(stores[0], chat_id, frozen.slot)
    sends: Counter[int] = Counter()

    async def send(digest: ChatDigest) -> None:
        assert digest.chat_id is not None
        sends[digest.chat_id] += 1
        await asyncio.sleep(0.01)  # let the other scheduler run meanwhile

    try:
        reports = await asyncio.gather(*(d.run_round(send) for d in schedulers))
    finally:
        for pipeline, store in zip(pipelines, stores, strict=True):
            await pipeline.aclose()
            store.close()
    assert sends == dict.fromkeys(chats, 1)
    assert sum(r.sent for r in reports) == 20
    assert sum(r.sent + r.skipped for r in reports) >= 20


@pytest.mark.parametrize("paid", [True, False])
async def test_digests_carry_allow_paid_broadcast_exactly_when_paid_broadcasts_are_on(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot, frozen: Frozen, paid: bool
) -> None:
    async with start_bot(**world.settings(), clock=frozen, telegram_paid_broadcast=paid) as app:
        services = app.bot_data.services
        await asyncio.to_thread(follow, services.store, 1001, frozen.slot)
        report = await services.rounds.tick()
    assert report is not None and report.sent == 1
    (digest,) = digests_in(botapi, 1001)
    assert digest.paid_broadcast is paid


def test_paid_broadcasts_raise_the_bots_send_limit_to_1000_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).telegram_send_rate == 30  # type: ignore[call-arg]
    monkeypatch.setenv("TELEGRAM_PAID_BROADCAST", "true")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.telegram_paid_broadcast and settings.telegram_send_rate == 1000
