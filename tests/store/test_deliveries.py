"""Digest deliveries: exactly-once claims across threads and engines, stale and failed
re-claims, and which chats are due."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

import time_machine

from bot.store import DueChat, Store

DAY = date(2025, 5, 1)
T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)


def claim(store: Store, chat_id: int, day: date, *, worker: str,
          now: datetime | None = None) -> bool:
    """What a round does for one chat: `deliveries.claim`, and whether this claim was won."""
    return store.deliveries.claim([(chat_id, day)], worker=worker, now=now) == [(chat_id, day)]


def finish(store: Store, chat_id: int, day: date, *, worker: str | None = None,
           now: datetime | None = None) -> bool:
    """What a round does once a digest is sent: `deliveries.finish`; True if still held."""
    return store.deliveries.finish([(chat_id, day, [])], worker=worker, now=now) == 1


def race(contenders: list[Callable[[], bool]]) -> list[bool]:
    """Start every contender at the same instant; return what each got."""
    barrier = threading.Barrier(len(contenders))
    results: list[bool] = [False] * len(contenders)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = contenders[i]()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(contenders))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_claim_is_won_by_exactly_one_thread(store: Store) -> None:
    store.chats.upsert(1)
    for day in range(10):
        local_date = DAY + timedelta(days=day)
        results = race(
            [partial(claim, store, 1, local_date, worker=f"w{w}") for w in range(6)]
        )
        assert results.count(True) == 1, (local_date, results)
        delivery = store.deliveries.get(1, local_date)
        assert delivery is not None and delivery.status == "claimed"
        assert delivery.claimed_by == f"w{results.index(True)}"


def test_claim_is_won_by_exactly_one_process(store: Store, other_store: Store) -> None:
    """Two Stores with their own engines and pools, as two bot processes would have."""
    store.chats.upsert(1)
    stores = [store, other_store]
    for day in range(10):
        local_date = DAY + timedelta(days=day)
        results = race(
            [
                partial(claim, s, 1, local_date, worker=f"p{i}")
                for i, s in enumerate(stores * 3)
            ]
        )
        assert results.count(True) == 1, (local_date, results)


def test_sent_digest_is_never_claimed_again(store: Store) -> None:
    store.chats.upsert(1)
    assert claim(store, 1, DAY, worker="a", now=T0)
    assert finish(store, 1, DAY, worker="a", now=T0 + timedelta(seconds=5))
    much_later = T0 + timedelta(days=3)
    assert not claim(store, 1, DAY, worker="b", now=much_later)
    delivery = store.deliveries.get(1, DAY)
    assert delivery is not None
    assert (delivery.status, delivery.sent_at, delivery.attempts) == (
        "sent",
        T0 + timedelta(seconds=5),
        1,
    )
    chat = store.chats.get(1)
    assert chat is not None and chat.last_digest_at == T0 + timedelta(seconds=5)


def test_stale_claim_of_a_crashed_process_is_taken_over_once(store: Store) -> None:
    store.chats.upsert(1)
    assert claim(store, 1, DAY, worker="crashed", now=T0)
    fresh = T0 + timedelta(minutes=10)
    assert not claim(store, 1, DAY, worker="b", now=fresh)
    stale = T0 + store.deliveries.stale_after + timedelta(minutes=1)
    results = race([partial(claim, store, 1, DAY, worker=f"r{w}", now=stale) for w in range(4)])
    assert results.count(True) == 1
    winner = f"r{results.index(True)}"
    # The crashed worker coming back must not overwrite the new owner's outcome.
    assert not finish(store, 1, DAY, worker="crashed")
    assert finish(store, 1, DAY, worker=winner)
    delivery = store.deliveries.get(1, DAY)
    assert delivery is not None
    assert (delivery.status, delivery.claimed_by, delivery.attempts) == ("sent", winner, 2)


def test_failed_send_is_retried_later_not_lost(store: Store, database_url: str) -> None:
    """(`store` only empties the shared database; this test needs its own settings.)"""
    store = Store.open(database_url, retry_failed_after=timedelta(minutes=5), max_attempts=3)
    try:
        store.chats.upsert(1)
        assert claim(store, 1, DAY, worker="a", now=T0)
        assert store.deliveries.mark_failed(1, DAY, "Telegram said 502 " + "x" * 5000, worker="a")
        failed = store.deliveries.get(1, DAY)
        assert failed is not None and failed.status == "failed"
        assert failed.error is not None and failed.error.startswith("Telegram said 502")
        assert len(failed.error) == 2000

        assert not claim(store, 1, DAY, worker="b", now=T0 + timedelta(minutes=1))
        assert claim(store, 1, DAY, worker="b", now=T0 + timedelta(minutes=6))
        retried = store.deliveries.get(1, DAY)
        assert retried is not None
        assert (retried.status, retried.attempts, retried.error) == ("claimed", 2, None)

        store.deliveries.mark_failed(1, DAY, "again", worker="b")
        assert claim(store, 1, DAY, worker="c", now=T0 + timedelta(minutes=12))
        store.deliveries.mark_failed(1, DAY, "and again", worker="c")
        # Three attempts used: give up rather than hammer a chat that can't receive.
        assert not claim(store, 1, DAY, worker="d", now=T0 + timedelta(hours=1))
    finally:
        store.close()


def test_claim_for_unknown_or_forgotten_chat_is_refused(store: Store) -> None:
    assert not claim(store, 404, DAY, worker="a")
    assert not finish(store, 404, DAY)


# --- due chats ------------------------------------------------------------------------


def subscribe_at(store: Store, when: datetime, chat_id: int, tz: str, at: time) -> None:
    with time_machine.travel(when, tick=False):
        store.chats.set_schedule(chat_id, at, tz)
        store.subscriptions.add(chat_id, f"topic {chat_id}")


def test_due_chats_in_different_timezones(store: Store) -> None:
    joined = datetime(2025, 1, 1, tzinfo=UTC)
    subscribe_at(store, joined, 1, "Europe/Kyiv", time(8))  # 06:00Z in winter
    subscribe_at(store, joined, 2, "Asia/Kathmandu", time(8))  # 02:15Z
    subscribe_at(store, joined, 3, "America/New_York", time(8))  # 13:00Z
    store.chats.upsert(4)  # no topics: never due
    subscribe_at(store, joined, 5, "UTC", time(6))
    store.chats.set_active(5, False)  # paused

    def due(now: datetime) -> list[DueChat]:
        return store.deliveries.due_chats(now)

    day = date(2025, 1, 10)
    assert due(datetime(2025, 1, 10, 2, 14, tzinfo=UTC)) == []
    assert due(datetime(2025, 1, 10, 2, 15, tzinfo=UTC)) == [
        DueChat(2, day, None, "Asia/Kathmandu")
    ]
    at_six = due(datetime(2025, 1, 10, 6, 0, tzinfo=UTC))
    assert [(d.chat_id, d.local_date) for d in at_six] == [(1, day), (2, day)]  # 2 is catching up


def test_due_chat_stops_being_due_once_claimed_and_returns_if_stale(store: Store) -> None:
    subscribe_at(store, datetime(2025, 1, 1, tzinfo=UTC), 1, "UTC", time(8))
    now = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
    assert [d.chat_id for d in store.deliveries.due_chats(now)] == [1]
    assert claim(store, 1, date(2025, 1, 10), worker="a", now=now)
    assert store.deliveries.due_chats(now + timedelta(minutes=1)) == []
    # The claimer died: after stale_after (30 min) the digest is due again, once.
    later = now + timedelta(minutes=45)
    assert [d.local_date for d in store.deliveries.due_chats(later)] == [date(2025, 1, 10)]
    assert claim(store, 1, date(2025, 1, 10), worker="b", now=later)
    assert finish(store, 1, date(2025, 1, 10), worker="b", now=later)
    assert store.deliveries.due_chats(later + timedelta(hours=1)) == []


def test_no_catch_up_for_a_slot_before_the_first_topic(store: Store) -> None:
    subscribe_at(store, datetime(2025, 1, 10, 9, 0, tzinfo=UTC), 1, "UTC", time(8))
    assert store.deliveries.due_chats(datetime(2025, 1, 10, 9, 1, tzinfo=UTC)) == []
    due = store.deliveries.due_chats(datetime(2025, 1, 11, 8, tzinfo=UTC))
    assert [d.local_date for d in due] == [date(2025, 1, 11)]


def test_downtime_catch_up_once_under_12_hours(store: Store) -> None:
    subscribe_at(store, datetime(2025, 1, 1, tzinfo=UTC), 1, "UTC", time(8))
    back = datetime(2025, 1, 10, 19, 0, tzinfo=UTC)  # 11 h late
    assert [d.local_date for d in store.deliveries.due_chats(back)] == [date(2025, 1, 10)]
    assert claim(store, 1, date(2025, 1, 10), worker="a", now=back)
    finish(store, 1, date(2025, 1, 10), worker="a", now=back)
    assert store.deliveries.due_chats(back + timedelta(minutes=1)) == []
    # 12 h late: skip
    assert store.deliveries.due_chats(datetime(2025, 1, 12, 20, 0, tzinfo=UTC)) == []
