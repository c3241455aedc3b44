"""Chats and their subscriptions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.article import Article, Summary
from bot.errors import StoreError
from bot.news.selection import SentStory
from bot.store import DuplicateTopic, Store, TooManyTopics

SUPERGROUP = -1001234567890  # more than 32 bits, as Telegram supergroup ids are


def test_upsert_creates_a_chat_with_defaults_and_keeps_an_existing_one(store: Store) -> None:
    chat = store.chats.upsert(SUPERGROUP)
    assert (chat.chat_id, chat.timezone, chat.digest_time, chat.active) == (
        SUPERGROUP,
        "UTC",
        time(8, 0),
        True,
    )
    assert chat.language is None and chat.last_digest_at is None
    assert chat.created_at.tzinfo is not None

    store.chats.upsert(SUPERGROUP, language="uk")
    again = store.chats.upsert(SUPERGROUP)  # no language given: the stored one stays
    assert again.language == "uk"
    assert again.created_at == chat.created_at
    assert store.chats.get(42) is None


def test_set_language_schedule_and_active(store: Store) -> None:
    store.chats.set_language(7, "de")  # an unknown chat is created on the way
    store.chats.set_schedule(7, time(21, 45, 30), "Asia/Kathmandu")
    store.chats.set_active(7, False)
    chat = store.chats.get(7)
    assert chat is not None
    assert (chat.language, chat.digest_time, chat.timezone, chat.active) == (
        "de",
        time(21, 45),
        "Asia/Kathmandu",
        False,
    )
    assert chat.updated_at >= chat.created_at


def test_set_schedule_rejects_unknown_timezone(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone"):
        store.chats.set_schedule(7, time(8), "Moon/Base")
    assert store.chats.get(7) is None


def test_subscriptions_are_unique_after_normalisation(store: Store) -> None:
    sub = store.subscriptions.add(1, "  Climate   Change ")
    assert (sub.topic, sub.topic_key, sub.kind) == ("Climate Change", "climate change", "search")
    with pytest.raises(DuplicateTopic) as caught:
        store.subscriptions.add(1, "climate change")
    assert isinstance(caught.value, StoreError)
    feed = store.subscriptions.add(1, "HTTPS://Feeds.NPR.org/1001/rss.xml", "feed")
    assert feed.topic_key == "https://feeds.npr.org/1001/rss.xml"
    with pytest.raises(DuplicateTopic):
        store.subscriptions.add(1, "https://feeds.npr.org/1001/rss.xml", "feed")
    store.subscriptions.add(2, "climate change")  # another chat may follow the same topic
    assert [s.topic for s in store.subscriptions.for_chat(1)] == [
        "Climate Change",
        "HTTPS://Feeds.NPR.org/1001/rss.xml",
    ]


def test_adding_a_subscription_rejects_junk(store: Store) -> None:
    with pytest.raises(ValueError, match="empty"):
        store.subscriptions.add(1, "   ")
    with pytest.raises(ValueError, match="longer"):
        store.subscriptions.add(1, "x" * 513)
    with pytest.raises(ValueError, match="kind"):
        store.subscriptions.add(1, "x", "tweets")  # type: ignore[arg-type]


def test_too_many_topics(store: Store, database_url: str) -> None:
    """(`store` only empties the shared database; this test needs its own limit.)"""
    store = Store.open(database_url, max_topics_per_chat=3)
    try:
        for topic in ("a", "b", "c"):
            store.subscriptions.add(5, topic)
        with pytest.raises(TooManyTopics) as caught:
            store.subscriptions.add(5, "d")
        assert caught.value.limit == 3
        with pytest.raises(DuplicateTopic):  # a duplicate is reported as such even when full
            store.subscriptions.add(5, "A")
        assert store.subscriptions.remove(5, "B ")
        store.subscriptions.add(5, "d")
        assert [s.topic for s in store.subscriptions.for_chat(5)] == ["a", "c", "d"]
    finally:
        store.close()


def test_remove_subscription_reports_whether_it_existed(store: Store) -> None:
    store.subscriptions.add(1, "Ukraine")
    assert store.subscriptions.remove(1, "ukraine") is True
    assert store.subscriptions.remove(1, "ukraine") is False
    assert store.subscriptions.for_chat(1) == []


def test_forget_chat_deletes_everything_about_it_but_shared_articles(store: Store) -> None:
    store.subscriptions.add(9, "space")
    store.subscriptions.add(10, "space")
    now = datetime(2025, 5, 1, tzinfo=UTC)
    store.sent.record(9, [SentStory("s1", frozenset({"https://a.example/1"}), outlet_count=1)], now)
    assert store.deliveries.claim([(9, date(2025, 5, 1))], worker="w") == [(9, date(2025, 5, 1))]
    article = Article("https://a.example/1", "https://a.example/1", "T", "body text")
    store.articles.put_summary(article, Summary(["p"], "extractive"), "https://a.example/1", "en")

    assert store.chats.forget(9) is True
    assert store.chats.get(9) is None
    assert store.subscriptions.for_chat(9) == []
    assert store.sent.since(9, now) == {}
    assert store.deliveries.get(9, date(2025, 5, 1)) is None
    assert store.chats.forget(9) is False
    # Others and the shared cache are untouched.
    assert [s.chat_id for s in store.subscriptions.for_chat(10)] == [10]
    assert store.articles.get_summary("https://a.example/1", "en") is not None


def test_a_first_contact_language_never_overwrites_a_chosen_one(store: Store) -> None:
    # Updates are handled concurrently: the first message's "remember the user's Telegram
    # language" may land after a `/lang de` from the same burst. It must not undo it.
    store.chats.upsert(7)
    store.chats.set_language(7, "de")
    store.chats.set_language_if_unset(7, "en")
    chat = store.chats.get(7)
    assert chat is not None and chat.language == "de"
    store.chats.set_language_if_unset(8, "uk")  # a new chat gets it
    chat = store.chats.get(8)
    assert chat is not None and chat.language == "uk"
