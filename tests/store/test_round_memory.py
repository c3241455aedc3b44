"""What a chat has been sent is remembered by the round that sent it, for three days.

Two-day rounds over a real store (SQLite and PostgreSQL) and a loopback news world whose
coverage changes between the rounds, the way the news does: a story grows after the
morning digest, and the next digest must still know it was sent.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from bot.rounds import ChatDigest
from bot.store import Store
from tests.fakes.newsfeeds import NORTH_KOREA, aged, covered_at
from tests.fakes.newsworld import serve_news_world
from tests.fakes.site import FakeSite

TOPIC = "North Korea"
MISSILE = [r for r in NORTH_KOREA if r.story == "missile"]


def headlines(digest: ChatDigest) -> list[str]:
    return [s.headline for t in digest.topics for s in t.stories]


def missile_in(digest: ChatDigest) -> bool:
    return any("missile" in h.lower() for h in headlines(digest))


async def test_a_story_that_grows_after_the_morning_digest_is_not_sent_again_as_new(
    store: Store, site: FakeSite, make_digests, outbox, eight: datetime
) -> None:
    """The round records the stories it sent: day 2 knows day 1's missile story.

    One more outlet covers the story two hours after the first digest, so on day 2 the
    story is inside the chat's window again; one outlet is not an update, so it must not
    come back.
    """
    await asyncio.to_thread(store.subscriptions.add, 1, TOPIC, "search")
    day1 = eight + timedelta(days=1, minutes=1)
    serve_news_world(site, {TOPIC: MISSILE[1:]}, now=day1 - timedelta(minutes=30))
    first = await make_digests(store, at=day1).run_round(outbox)
    assert first.sent == 1 and missile_in(outbox.sent[0])

    day2 = day1 + timedelta(days=1)
    later = covered_at(MISSILE[0], day1 + timedelta(hours=2), day2 - timedelta(minutes=30))
    world = serve_news_world(site, {TOPIC: [*aged(MISSILE[1:], timedelta(days=1)), later]},
                             now=day2 - timedelta(minutes=30))
    second = await make_digests(store, at=day2, world=world).run_round(outbox)

    assert second.sent == 1
    assert not missile_in(outbox.sent[1]), headlines(outbox.sent[1])
    assert outbox.sent[1].topics[0].skipped_already_sent == 1


async def test_a_story_sent_30_hours_ago_is_still_remembered(
    store: Store, site: FakeSite, make_digests, outbox, eight: datetime
) -> None:
    """The repeat memory spans days, not one: a digest caught up 30 h later repeats nothing.

    The chat's next digest comes 30 hours after the first (a missed slot, caught up); the
    story has one new outlet since, inside that digest's 24-hour window.
    """
    await asyncio.to_thread(store.subscriptions.add, 1, TOPIC, "search")
    day1 = eight + timedelta(days=1, minutes=1)
    serve_news_world(site, {TOPIC: MISSILE[1:]}, now=day1 - timedelta(minutes=30))
    await make_digests(store, at=day1).run_round(outbox)
    assert missile_in(outbox.sent[0])

    at = day1 + timedelta(hours=30)
    later = covered_at(MISSILE[0], at - timedelta(hours=1), at)
    world = serve_news_world(site, {TOPIC: [later]}, now=at)
    second = await make_digests(store, at=at, world=world).run_round(outbox)

    assert second.sent == 1, second
    assert not missile_in(outbox.sent[1]), headlines(outbox.sent[1])
    assert outbox.sent[1].topics[0].skipped_already_sent == 1
    # Control: the same day-2 world for a chat that never saw the story shows it.
    await asyncio.to_thread(store.subscriptions.add, 2, TOPIC, "search")
    fresh = await make_digests(store, at=at, world=world).chat_digest(2, local_date=at.date())
    assert missile_in(fresh)


async def test_a_round_does_not_mark_a_claim_another_worker_took_over(
    store: Store, other_store: Store, site: FakeSite, make_digests, eight: datetime
) -> None:
    """A round finishes only the claims it still holds (its worker id is on the write).

    Round A's send is slow past the stale timeout; meanwhile worker B takes the claim over.
    A's late finish must leave B's claim alone, so B's own outcome (here: a failure, due a
    retry) is what the database keeps.
    """
    await asyncio.to_thread(store.subscriptions.add, 1, TOPIC, "search")
    day1 = eight + timedelta(days=1, minutes=1)
    serve_news_world(site, {TOPIC: MISSILE}, now=day1 - timedelta(minutes=30))
    a = make_digests(store, at=day1)
    took_over: list[tuple[int, date]] = []

    async def slow_send(digest: ChatDigest) -> None:
        # B, another process, finds A's claim stale and takes it over before A finishes.
        late = day1 + other_store.deliveries.stale_after + timedelta(minutes=1)
        took_over.extend(await asyncio.to_thread(
            other_store.deliveries.claim, [(1, day1.date())], worker="worker-b", now=late))

    report = await a.run_round(slow_send)
    assert report.sent == 1 and took_over == [(1, day1.date())]

    delivery = await asyncio.to_thread(store.deliveries.get, 1, day1.date())
    assert delivery is not None
    assert (delivery.status, delivery.claimed_by) == ("claimed", "worker-b")
    # B's send fails: recorded against B's claim, so the digest is retried, not lost.
    assert await asyncio.to_thread(
        other_store.deliveries.mark_failed, 1, day1.date(), "Bot API down", worker="worker-b")
    failed = await asyncio.to_thread(store.deliveries.get, 1, day1.date())
    assert failed is not None and failed.status == "failed"
