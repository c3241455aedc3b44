"""Feeds remember their own titles (for /export), on SQLite and PostgreSQL."""

from __future__ import annotations

from bot.news.subscribed import FeedState
from bot.store import Store


def test_a_title_learned_by_a_check_survives_polls_and_keeps_the_validators(
    store: Store,
) -> None:
    ua, cn, unknown = "https://e.org/ua.xml", "https://e.org/cn.xml", "https://e.org/x.xml"
    store.feeds.put(ua, FeedState(etag='"v1"'))
    store.feeds.set_title(ua, "Українські новини")
    store.feeds.set_title(cn, "中文新闻")  # checked, never polled
    store.feeds.set_title(unknown, "")  # a feed without a title: nothing to remember
    assert store.feeds.get(ua).etag == '"v1"'  # type: ignore[union-attr]
    # A poll that learned no title keeps the known one; one that did replaces it.
    store.feeds.put(ua, FeedState(etag='"v2"'))
    assert store.feeds.titles([ua, cn, unknown]) == {ua: "Українські новини", cn: "中文新闻"}
    store.feeds.put(cn, FeedState(etag='"c1"', title="新的标题"))
    assert store.feeds.titles([cn]) == {cn: "新的标题"}
    assert store.feeds.titles([]) == {}
