""""Never twice", for real: a digest whose messages went out is never offered again.

- Recording "sent" fails after the digest went out (a real database error, raised by a
  trigger the test installs): the record is retried, and a later round — past the 30 minutes
  after which a claim goes stale — does not send it again.
- A digest of several messages whose part 2 fails is resumed at part 2, for a scheduled
  digest and for `/digest`; part 1 never arrives twice.

Store tests: SQLite file and PostgreSQL. Messages go through the real PTB client to the fake
Bot API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta

import pytest
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Defaults
from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.pipeline import Pipeline
from bot.rounds import Digests
from bot.store import Store
from bot.telegram.delivery import DigestSender
from bot.telegram.flood import FloodLimiter
from bot.telegram.outgoing import MarkupBot
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.newsfeeds import FED, NORTH_KOREA, Report
from tests.fakes.newsworld import NewsWorld
from tests.fakes.outbox import Outbox

TITLE = "Your daily digest"
# Six topics over two news stories' coverage: a digest too long for one Telegram message.
WORLD = {"North Korea": NORTH_KOREA, "Korean Peninsula": NORTH_KOREA, "Pyongyang": NORTH_KOREA,
         "Federal Reserve": FED, "Interest rates": FED, "Central banks": FED}
TOPICS = tuple(WORLD)


@pytest.fixture
def at() -> datetime:
    """Tomorrow 08:01 UTC, just after the default slot (the clock is read per test)."""
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(8, 1), tzinfo=UTC)


@pytest.fixture
def news_topics() -> Mapping[str, Sequence[Report]]:
    return WORLD


@pytest.fixture
def news_now(at: datetime) -> datetime:
    """`world`'s news is from half an hour before the round."""
    return at - timedelta(minutes=30)


@pytest.fixture
async def digests(store: Store, world: NewsWorld, at: datetime) -> AsyncIterator[Digests]:
    settings = Settings(news_search_feeds=world.templates,
                        fetch_allow_private_hosts=world.allow_hosts, fetch_timeout=5,
                        summarizer="extractive", digest_max_stories=20)
    made = Digests(settings, pipeline=Pipeline.build(settings), store=store, clock=lambda: at)
    yield made
    await made.pipeline.aclose()


@pytest.fixture
async def sender(botapi: FakeBotAPI) -> AsyncIterator[DigestSender]:
    bot = MarkupBot(  # what production sends through: a str as HTML is refused
        botapi.token, base_url=f"{botapi.base_url}/bot",
        request=HTTPXRequest(connection_pool_size=8),
        rate_limiter=FloodLimiter(private_chat_rate=1000, backoff=0.01),
        defaults=Defaults(parse_mode=ParseMode.HTML,
                          link_preview_options=LinkPreviewOptions(is_disabled=True)),
    )
    async with bot:
        made = DigestSender(bot)
        yield made
        await made.aclose()


def follow(store: Store, chat_id: int) -> None:
    for topic in TOPICS:
        store.subscriptions.add(chat_id, topic, "search")


# --- recording "sent" fails -------------------------------------------------------------------


@pytest.fixture
def refuse_sent(store: Store) -> Iterator[object]:
    """A real database error whenever a delivery is marked sent, until `heal()`."""
    pg = store.engine.dialect.name == "postgresql"
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE fault_switch (on_ INTEGER)")
        conn.exec_driver_sql("INSERT INTO fault_switch VALUES (1)")
        if pg:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_sent() RETURNS trigger AS $$ BEGIN "
                "IF NEW.status = 'sent' AND EXISTS (SELECT 1 FROM fault_switch) THEN "
                "RAISE EXCEPTION 'could not extend file: No space left on device'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql")
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_sent BEFORE UPDATE ON digest_deliveries "
                "FOR EACH ROW EXECUTE FUNCTION refuse_sent()")
        else:
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_sent BEFORE UPDATE ON digest_deliveries "
                "WHEN NEW.status = 'sent' AND EXISTS (SELECT 1 FROM fault_switch) "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")

    class Switch:
        @staticmethod
        def heal() -> None:
            with store.engine.begin() as conn:
                conn.exec_driver_sql("DELETE FROM fault_switch")

    yield Switch
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS refuse_sent" + (
            " ON digest_deliveries" if pg else ""))
        if pg:
            conn.exec_driver_sql("DROP FUNCTION IF EXISTS refuse_sent()")
        conn.exec_driver_sql("DROP TABLE IF EXISTS fault_switch")


async def test_a_digest_whose_sent_record_failed_is_not_sent_again(
    store: Store, digests: Digests, refuse_sent, at: datetime
) -> None:
    await asyncio.to_thread(follow, store, 1)
    outbox = Outbox()
    first = await digests.run_round(outbox, now=at)
    assert first.sent == 1 and outbox.per_chat() == {1: 1}
    delivery = store.deliveries.get(1, at.date())
    assert delivery is not None and delivery.status == "claimed"  # the record did fail
    refuse_sent.heal()
    # Past the 30 minutes after which a claim is stale and its digest would be taken over.
    for minutes in (6, 31, 45):
        await digests.run_round(outbox, now=at + timedelta(minutes=minutes))
    assert outbox.per_chat() == {1: 1}
    delivery = store.deliveries.get(1, at.date())
    assert delivery is not None and delivery.status == "sent"
    assert len(store.sent.since(1, at - timedelta(days=1))) > 0


# --- a digest of several parts ----------------------------------------------------------------


def texts(api: FakeBotAPI, chat: int) -> list[str]:
    return [m.text for m in api.sent_to(chat)]


async def test_a_scheduled_digest_resumes_at_the_part_that_failed(
    store: Store, digests: Digests, sender: DigestSender, botapi: FakeBotAPI, at: datetime
) -> None:
    await asyncio.to_thread(follow, store, 2)
    # Part 1 goes through; part 2 is lost every time the flood limiter tries it.
    botapi.stall_next("sendMessage", 0.05, deliver=False, after=1, times=4)
    first = await digests.run_round(sender, now=at)
    assert first.failed == 1
    (part1,) = texts(botapi, 2)
    assert part1.startswith(TITLE)
    later = await digests.run_round(sender, now=at + timedelta(minutes=6))
    assert later.sent == 1
    got = texts(botapi, 2)
    print(f"\nscheduled digest: {len(got)} parts")
    assert len(got) >= 2 and got[0] == part1
    assert sum(TITLE in t for t in got) == 1  # part 1 arrived once
    assert len(set(got)) == len(got)  # no part twice
    delivery = store.deliveries.get(2, at.date())
    assert delivery is not None and delivery.status == "sent"
    # Recorded from the saved plan with each story's points, so a later update can say
    # which points are new.
    recorded = store.sent.since(2, at - timedelta(days=1))
    assert any(s.points for s in recorded.values())


async def test_digest_on_demand_resumes_at_the_part_that_failed(
    store: Store, digests: Digests, sender: DigestSender, botapi: FakeBotAPI
) -> None:
    await asyncio.to_thread(follow, store, 3)
    botapi.stall_next("sendMessage", 0.05, deliver=False, after=1, times=4)
    with pytest.raises(Exception):  # noqa: B017 - whatever the Bot API's failure maps to
        await digests.send_on_demand(3, sender)
    (part1,) = texts(botapi, 3)
    plan = await digests.send_on_demand(3, sender)
    got = texts(botapi, 3)
    assert len(got) == len(plan.parts) >= 2 and got[0] == part1
    assert sum(TITLE in t for t in got) == 1 and len(set(got)) == len(got)
    # Finished: the next /digest is a new one with nothing repeated.
    again = await digests.send_on_demand(3, sender)
    assert again.stories == []
