"""Chats and their subscriptions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.article import Article, Summary
from bot.errors import StoreError
from bot.store import DuplicateTopic, SentStory, Store, TooManyTopics

SUPERGROUP = -1001234567890  # more than 32 bits, as Telegram supergroup ids are


def test_upsert_chat_creates_with_defaults_and_keeps_existing(store: Store) -> None:
    chat = store.upsert_chat(SUPERGROUP)
    assert (chat.chat_id, chat.timezone, chat.digest_time, chat.active) == (
        SUPERGROUP,
        "UTC",
        time(8, 0),
        True,
    )
    assert chat.language is None and chat.last_digest_at is None
    assert chat.created_at.tzinfo is not None

    store.upsert_chat(SUPERGROUP, language="uk")
    again = store.upsert_chat(SUPERGROUP)  # no language given: the stored one stays
    assert again.language == "uk"
    assert again.created_at == chat.created_at
    assert store.get_chat(42) is None


def test_set_language_schedule_and_active(store: Store) -> None:
    store.set_language(7, "de")  # an unknown chat is created on the way
    store.set_schedule(7, time(21, 45, 30), "Asia/Kathmandu")
    store.set_active(7, False)
    chat = store.get_chat(7)
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
        store.set_schedule(7, time(8), "Moon/Base")
    assert store.get_chat(7) is None


def test_subscriptions_are_unique_after_normalisation(store: Store) -> None:
    sub = store.add_subscription(1, "  Climate   Change ")
    assert (sub.topic, sub.topic_key, sub.kind) == ("Climate Change", "climate change", "search")
    with pytest.raises(DuplicateTopic) as caught:
        store.add_subscription(1, "climate change")
    assert isinstance(caught.value, StoreError)
    feed = store.add_subscription(1, "HTTPS://Feeds.NPR.org/1001/rss.xml", "feed")
    assert feed.topic_key == "https://feeds.npr.org/1001/rss.xml"
    with pytest.raises(DuplicateTopic):
        store.add_subscription(1, "https://feeds.npr.org/1001/rss.xml", "feed")
    store.add_subscription(2, "climate change")  # another chat may follow the same topic
    assert [s.topic for s in store.list_subscriptions(1)] == [
        "Climate Change",
        "HTTPS://Feeds.NPR.org/1001/rss.xml",
    ]


def test_add_subscription_rejects_junk(store: Store) -> None:
    with pytest.raises(ValueError, match="empty"):
        store.add_subscription(1, "   ")
    with pytest.raises(ValueError, match="longer"):
        store.add_subscription(1, "x" * 513)
    with pytest.raises(ValueError, match="kind"):
        store.add_subscription(1, "x", "tweets")  # type: ignore[arg-type]


def test_too_many_topics(store: Store, database_url: str) -> None:
    """(`store` only empties the shared database; this test needs its own limit.)"""
    store = Store.open(database_url, max_topics_per_chat=3)
    try:
        for topic in ("a", "b", "c"):
            store.add_subscription(5, topic)
        with pytest.raises(TooManyTopics) as caught:
            store.add_subscription(5, "d")
        assert caught.value.limit == 3
        with pytest.raises(DuplicateTopic):  # a duplicate is reported as such even when full
            store.add_subscription(5, "A")
        assert store.remove_subscription(5, "B ")
        store.add_subscription(5, "d")
        assert [s.topic for s in store.list_subscriptions(5)] == ["a", "c", "d"]
    finally:
        store.close()


def test_remove_subscription_reports_whether_it_existed(store: Store) -> None:
    store.add_subscription(1, "Ukraine")
    assert store.remove_subscription(1, "ukraine") is True
    assert store.remove_subscription(1, "ukraine") is False
    assert store.list_subscriptions(1) == []


def test_forget_chat_deletes_everything_about_it_but_shared_articles(store: Store) -> None:
    store.add_subscription(9, "space")
    store.add_subscription(10, "space")
    now = datetime(2025, 5, 1, tzinfo=UTC)
    store.record_sent_stories(9, [SentStory("s1", ("https://a.example/1",), 1)], now)
    assert store.claim_deliveries([(9, date(2025, 5, 1))], worker="w") == [(9, date(2025, 5, 1))]
    article = Article("https://a.example/1", "https://a.example/1", "T", "body text")
    store.put_article_summary(article, Summary(["p"], "extractive"), "https://a.example/1", "en")

    assert store.forget_chat(9) is True
    assert store.get_chat(9) is None
    assert store.list_subscriptions(9) == []
    assert store.sent_stories(9, now) == {}
    assert store.get_delivery(9, date(2025, 5, 1)) is None
    assert store.forget_chat(9) is False
    # Others and the shared cache are untouched.
    assert [s.chat_id for s in store.list_subscriptions(10)] == [10]
    assert store.get_summary("https://a.example/1", "en") is not None


def test_a_first_contact_language_never_overwrites_a_chosen_one(store: Store) -> None:
    # Updates are handled concurrently: the first message's "remember the user's Telegram
    # language" may land after a `/lang de` from the same burst. It must not undo it.
    store.upsert_chat(7)
    store.set_language(7, "de")
    store.set_language_if_unset(7, "en")
    chat = store.get_chat(7)
    assert chat is not None and chat.language == "de"
    store.set_language_if_unset(8, "uk")  # a new chat gets it
    chat = store.get_chat(8)
    assert chat is not None and chat.language == "uk"
