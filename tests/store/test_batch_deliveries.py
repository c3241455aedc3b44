"""The store calls a digest round makes, tested directly on SQLite and PostgreSQL.

`deliveries.claim` → `deliveries.digest_inputs` → (send) → `deliveries.finish`, and on start
`deliveries.release_dead_claims`: many chats per transaction, each (chat, local date) won once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.news.selection import SentStory
from bot.store import Store

DAY = date(2025, 5, 1)
T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)


def story(key: str, *urls: str, outlets: int = 1) -> SentStory:
    return SentStory(key, frozenset(urls), outlet_keys=frozenset({f"{key}.example"}),
                     signature=frozenset({"missile", "sea"}), outlet_count=outlets)


def subscribe(store: Store, *chats: int) -> None:
    for chat in chats:
        store.subscriptions.add(chat, "North Korea")


# --- deliveries.claim -----------------------------------------------------------------


def test_a_batch_claim_wins_each_free_claim_once_and_skips_unknown_chats(
    store: Store, other_store: Store
) -> None:
    subscribe(store, 1, 2, 3)
    wanted = [(1, DAY), (2, DAY), (404, DAY), (3, DAY), (1, DAY + timedelta(days=1))]
    won = store.deliveries.claim(wanted, worker="a", now=T0)
    assert won == [(1, DAY), (2, DAY), (3, DAY), (1, DAY + timedelta(days=1))]
    # Another process asking for the same, a minute later, wins none of them.
    assert other_store.deliveries.claim(wanted, worker="b", now=T0 + timedelta(minutes=1)) == []
    held = store.deliveries.get(2, DAY)
    assert held is not None
    assert (held.status, held.claimed_by, held.claimed_at, held.attempts) == (
        "claimed", "a", T0, 1)
    assert store.deliveries.claim([], worker="a") == []


def test_a_chat_forgotten_between_the_check_and_the_insert_is_skipped_not_fatal(
    store: Store, other_store: Store
) -> None:
    """A batch checks which chats exist, then inserts their claims. On PostgreSQL another
    process can forget a chat in between; its INSERT then breaks the foreign key, which
    must cost that one chat its claim, not the batch (and a round) its transaction. The
    race strikes twice: chat 2 during the batch, chat 3 during the chat-by-chat retry, where
    only a savepoint per chat keeps chat 1's claim when chat 3's INSERT fails."""
    subscribe(store, 1, 2, 3)
    forgets: list[bool] = []  # one per chat another process forgot
    checked = False
    passes = 0

    def forget_chats_between(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        nonlocal checked, passes
        if statement.startswith("SELECT"):
            checked = True  # the existence check (claims read nothing else)
        elif checked and statement.startswith("INSERT INTO digest_deliveries"):
            checked = False  # before the first INSERT after the check
            passes += 1
            if store.engine.dialect.name == "postgresql":
                # The real race: another process deletes the chat and commits meanwhile.
                forgets.append(other_store.chats.forget(2 if passes == 1 else 3))
            else:
                # SQLite lets no other writer in while the batch holds its write lock, so
                # the same state is staged on the batch's own connection (the failed batch's
                # rollback brings chat 2 back, so the retry deletes it again).
                for chat in (2,) if passes == 1 else (2, 3):
                    cursor.connection.execute(f"DELETE FROM chats WHERE chat_id = {chat}")
                forgets.append(True)

    event.listen(store.engine, "before_cursor_execute", forget_chats_between)
    try:
        won = store.deliveries.claim([(1, DAY), (2, DAY), (3, DAY)], worker="a", now=T0)
    finally:
        event.remove(store.engine, "before_cursor_execute", forget_chats_between)
    assert forgets == [True, True]
    assert won == [(1, DAY)]
    claimed = store.deliveries.get(1, DAY)
    assert claimed is not None and (claimed.status, claimed.claimed_by) == ("claimed", "a")
    for chat in (2, 3):
        assert store.deliveries.get(chat, DAY) is None
        assert store.chats.get(chat) is None


def test_a_stale_claim_is_taken_over_by_one_batch_and_the_old_owner_loses_it(
    store: Store, other_store: Store
) -> None:
    subscribe(store, 1, 2)
    assert store.deliveries.claim([(1, DAY), (2, DAY)], worker="dead", now=T0) == [
        (1, DAY), (2, DAY)]
    # Not stale yet: nobody else may take it.
    almost = T0 + store.deliveries.stale_after - timedelta(seconds=1)
    assert other_store.deliveries.claim([(1, DAY)], worker="b", now=almost) == []
    # Stale: one taker wins; the second taker, at the same moment, does not.
    stale = T0 + store.deliveries.stale_after + timedelta(seconds=1)
    assert other_store.deliveries.claim([(1, DAY)], worker="b", now=stale) == [(1, DAY)]
    assert store.deliveries.claim([(1, DAY)], worker="c", now=stale) == []
    taken = store.deliveries.get(1, DAY)
    assert taken is not None
    assert (taken.claimed_by, taken.claimed_at, taken.attempts) == ("b", stale, 2)
    # The old owner coming back marks only what it still holds (chat 2), not chat 1.
    marked = store.deliveries.finish(
        [(1, DAY, [story("k1", "https://a.example/1")]), (2, DAY, [])],
        worker="dead", now=stale)
    assert marked == 1
    still = store.deliveries.get(1, DAY)
    assert still is not None and (still.status, still.claimed_by) == ("claimed", "b")
    assert store.deliveries.finish([(1, DAY, [])], worker="b", now=stale) == 1
    sent = store.deliveries.get(1, DAY)
    assert sent is not None and (sent.status, sent.sent_at) == ("sent", stale)


def test_a_failed_claim_is_retried_after_the_pause_and_given_up_after_max_attempts(
    database_url: str, store: Store
) -> None:
    """(`store` empties the shared database; this test needs its own limits.)"""
    limited = Store.open(database_url, retry_failed_after=timedelta(minutes=5), max_attempts=2)
    try:
        subscribe(limited, 1)
        assert limited.deliveries.claim([(1, DAY)], worker="a", now=T0) == [(1, DAY)]
        assert limited.deliveries.mark_failed(1, DAY, "502", worker="a")
        soon = T0 + timedelta(minutes=4)
        assert limited.deliveries.claim([(1, DAY)], worker="b", now=soon) == []
        later = T0 + timedelta(minutes=6)
        assert limited.deliveries.claim([(1, DAY)], worker="b", now=later) == [(1, DAY)]
        retried = limited.deliveries.get(1, DAY)
        assert retried is not None and (retried.attempts, retried.error) == (2, None)
        assert limited.deliveries.mark_failed(1, DAY, "502 again", worker="b")
        much_later = T0 + timedelta(hours=3)
        assert limited.deliveries.claim([(1, DAY)], worker="c", now=much_later) == []
    finally:
        limited.close()


def test_a_sent_digest_is_never_claimed_again(store: Store) -> None:
    subscribe(store, 1)
    assert store.deliveries.claim([(1, DAY)], worker="a", now=T0) == [(1, DAY)]
    assert store.deliveries.finish([(1, DAY, [])], worker="a", now=T0) == 1
    years = T0 + timedelta(days=400)
    assert store.deliveries.claim([(1, DAY)], worker="b", now=years) == []


# --- deliveries.finish ----------------------------------------------------------------


def test_finishing_marks_sent_and_remembers_stories_in_one_call(store: Store) -> None:
    subscribe(store, 1, 2)
    store.deliveries.claim([(1, DAY), (2, DAY)], worker="a", now=T0)
    sent_at = T0 + timedelta(seconds=30)
    marked = store.deliveries.finish(
        [
            (1, DAY, [story("k1", "https://a.example/1", "https://b.example/1", outlets=2)]),
            (2, DAY, [story("k2", "https://c.example/2")]),
        ],
        worker="a", now=sent_at,
    )
    assert marked == 2
    for chat in (1, 2):
        delivery = store.deliveries.get(chat, DAY)
        assert delivery is not None
        assert (delivery.status, delivery.sent_at, delivery.error) == ("sent", sent_at, None)
        got = store.chats.get(chat)
        assert got is not None and got.last_digest_at == sent_at
    inputs = store.deliveries.digest_inputs([1, 2], sent_since=T0)
    assert set(inputs[1].sent) == {"k1"} and set(inputs[2].sent) == {"k2"}
    k1 = inputs[1].sent["k1"]
    assert (k1.member_urls, k1.outlet_count, k1.sent_at) == (
        {"https://a.example/1", "https://b.example/1"}, 2, sent_at)
    assert (k1.outlet_keys, k1.signature) == ({"k1.example"}, {"missile", "sea"})


def test_finishing_a_story_again_updates_it_rather_than_duplicating(store: Store) -> None:
    subscribe(store, 1)
    day2 = DAY + timedelta(days=1)
    store.deliveries.claim([(1, DAY), (1, day2)], worker="a", now=T0)
    store.deliveries.finish([(1, DAY, [story("k1", "https://a.example/1")])],
                            worker="a", now=T0)
    later = T0 + timedelta(days=1)
    grown = story("k1", "https://a.example/1", "https://b.example/1", outlets=3)
    store.deliveries.finish([(1, day2, [grown])], worker="a", now=later)
    (only,) = store.deliveries.digest_inputs([1], sent_since=T0).get(1).sent.values()  # type: ignore[union-attr]
    assert (only.outlet_count, only.sent_at, len(only.member_urls)) == (3, later, 2)


# --- deliveries.digest_inputs ---------------------------------------------------------


def test_digest_inputs_reads_chats_topics_and_recent_stories_for_many_chats(
    store: Store,
) -> None:
    store.subscriptions.add(1, "North Korea")
    store.subscriptions.add(1, "Chess")
    store.chats.set_language(1, "uk")
    store.chats.set_schedule(2, time(7, 30), "Europe/Kyiv")
    store.subscriptions.add(2, "Climate")
    store.chats.upsert(3)  # no topics
    store.sent.record(1, [story("old", "https://a.example/old")], T0 - timedelta(days=4))
    store.sent.record(1, [story("new", "https://a.example/new")], T0)
    store.sent.record(2, [story("two", "https://a.example/two")], T0)

    inputs = store.deliveries.digest_inputs([1, 2, 3, 404], sent_since=T0 - timedelta(days=3))

    assert set(inputs) == {1, 2, 3}  # an unknown chat is simply absent
    assert inputs[1].chat.language == "uk"
    assert [s.topic for s in inputs[1].subscriptions] == ["North Korea", "Chess"]
    assert set(inputs[1].sent) == {"new"}  # sent before the cut-off: forgotten
    assert (inputs[2].chat.timezone, inputs[2].chat.digest_time) == ("Europe/Kyiv", time(7, 30))
    assert [s.topic for s in inputs[2].subscriptions] == ["Climate"]
    assert set(inputs[2].sent) == {"two"}
    assert inputs[3].subscriptions == [] and inputs[3].sent == {}
    assert store.deliveries.digest_inputs([], sent_since=T0) == {}


# --- deliveries.release_dead_claims ---------------------------------------------------


def test_release_dead_claims_frees_only_the_dead_workers_claims_for_a_retry_now(
    store: Store, other_store: Store
) -> None:
    subscribe(store, 1, 2, 3)
    store.deliveries.claim([(1, DAY), (2, DAY)], worker="dead", now=T0)
    store.deliveries.claim([(3, DAY)], worker="alive", now=T0)
    store.deliveries.claim([(1, DAY + timedelta(days=1))], worker="dead", now=T0)
    store.deliveries.finish([(1, DAY + timedelta(days=1), [])], worker="dead", now=T0)
    now = T0 + timedelta(minutes=2)

    released = store.deliveries.release_dead_claims(lambda worker: worker == "dead", now=now)

    assert released == 2  # the sent one is not a claim any more
    for chat in (1, 2):
        freed = store.deliveries.get(chat, DAY)
        assert freed is not None
        assert (freed.status, freed.error) == ("failed", "worker dead died")
    kept = store.deliveries.get(3, DAY)
    assert kept is not None and (kept.status, kept.claimed_by) == ("claimed", "alive")
    # Due a retry at once: another process claims them now, not after the stale timeout.
    assert other_store.deliveries.claim([(1, DAY), (2, DAY), (3, DAY)], worker="b", now=now) == [
        (1, DAY), (2, DAY)]
    assert store.deliveries.release_dead_claims(lambda worker: worker == "dead", now=now) == 0


@pytest.mark.parametrize("alive", [True, False])
def test_release_dead_claims_asks_about_each_holder(store: Store, alive: bool) -> None:
    subscribe(store, 1)
    store.deliveries.claim([(1, DAY)], worker="w1", now=T0)
    asked: list[str] = []

    def is_dead(worker: str) -> bool:
        asked.append(worker)
        return not alive

    assert store.deliveries.release_dead_claims(is_dead, now=T0) == (0 if alive else 1)
    assert asked == ["w1"]
