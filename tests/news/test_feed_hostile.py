"""Hostile feeds: one bad entry costs itself, a declared charset can't stall or crash the
parser, a feed body can't make feedparser fetch by itself, and huge feeds are capped."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.news.feed import parse_feed
from bot.news.item import NewsItem
from bot.news.selection import collect_topic_stories
from tests.fakes.site import FakeSite, Response

NOW = datetime(2026, 7, 14, 8, 0, tzinfo=UTC)
FEED_URL = "https://vesti.example/rss"


def item(title: str, link: str, when: str) -> str:
    return f"<item><title>{title}</title><link>{link}</link><pubDate>{when}</pubDate></item>"


def rss(*items: str, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return (f'{declaration}<rss version="2.0"><channel><title>Вісті - Головне</title>'
            f"<link>https://vesti.example/</link>{''.join(items)}</channel></rss>")


GOOD = [
    item("Київрада ухвалила бюджет на 2027 рік", "https://vesti.example/a/1",
         "Tue, 14 Jul 2026 07:00:00 GMT"),
    item("东京举行新闻发布会", "https://vesti.example/a/2", "Tue, 14 Jul 2026 06:00:00 GMT"),
    item("مجلس المدينة يقر الميزانية", "https://vesti.example/a/3",
         "Tue, 14 Jul 2026 05:00:00 GMT"),
]


def titles(items: list[NewsItem]) -> list[str]:
    return [i.title for i in items]


@pytest.mark.parametrize("bad", [
    # Year 10000 once converted to UTC: no such datetime.
    item("Неможлива дата", "https://vesti.example/b", "9999-12-31T23:59:59-14:00"),
    "<entry><title>Atom too</title><link href='https://vesti.example/b'/>"
    "<updated>9999-12-31T23:59:59-14:00</updated></entry>",
    item("Surrogate &#xD83D; here", "https://vesti.example/b", "Tue, 14 Jul 2026 04:00:00 GMT"),
    item("Past Unicode &#99999999; here", "https://vesti.example/b",
         "Tue, 14 Jul 2026 04:00:00 GMT"),
    item("Huge &#x110000; ref", "https://vesti.example/b", "Tue, 14 Jul 2026 04:00:00 GMT"),
])
def test_a_bad_entry_is_skipped_not_the_feed(bad: str) -> None:
    items = parse_feed(rss(GOOD[0], bad, *GOOD[1:]), feed_url=FEED_URL)
    assert titles(items) == ["Київрада ухвалила бюджет на 2027 рік", "东京举行新闻发布会",
                             "مجلس المدينة يقر الميزانية"]


@pytest.mark.parametrize("label", ["punycode", "base64", "rot13", "hex", "zlib", "idna",
                                   "undefined", "unicode_escape"])
@pytest.mark.parametrize("as_bytes", [False, True])
def test_declared_xml_encoding_is_not_trusted(label: str, as_bytes: bool) -> None:
    doc = rss(*GOOD, declaration=f'<?xml version="1.0" encoding="{label}"?>')
    items = parse_feed(doc.encode() if as_bytes else doc, feed_url=FEED_URL)
    assert len(items) == 3
    assert items[0].title == "Київрада ухвалила бюджет на 2027 рік"


def test_a_body_that_looks_like_a_url_is_not_fetched(site: FakeSite) -> None:
    # feedparser opens a str that looks like a URL or a path itself: past the SSRF guard.
    secret = site.route("/latest/meta-data", Response(
        body=rss(*GOOD), content_type="application/rss+xml"))
    with pytest.raises(ValueError, match="not a readable feed"):
        parse_feed(secret, feed_url=FEED_URL)
    with pytest.raises(ValueError, match="not a readable feed"):
        parse_feed("/etc/hostname", feed_url=FEED_URL)
    assert site.history == []


def shuffled_feed(n: int) -> tuple[str, list[str]]:
    """n items in random order; returns the feed and the titles newest first."""
    order = list(range(n))
    random.Random(8).shuffle(order)
    entries = [item(f"Новина номер {i}", f"https://vesti.example/n/{i}",
                    format_datetime(NOW - timedelta(minutes=i), usegmt=True)) for i in order]
    return rss(*entries), [f"Новина номер {i}" for i in range(n)]


def test_max_items_keeps_the_newest_whatever_the_order() -> None:
    feed, newest_first = shuffled_feed(1_000)
    items = parse_feed(feed, feed_url=FEED_URL, max_items=50)
    assert sorted(titles(items), key=newest_first.index) == newest_first[:50]
    assert len(parse_feed(feed, feed_url=FEED_URL)) == 1_000  # no cap unless asked


class ManyItems:
    name = "many"

    def __init__(self, n: int) -> None:
        self._items = [
            NewsItem(title=f"Подія {i} у місті", url=f"https://vesti.example/e/{i}",
                     canonical=f"https://vesti.example/e/{i}", outlet="Вісті",
                     outlet_domain="vesti.example", published=NOW - timedelta(seconds=30 * i))
            for i in range(n)
        ]

    async def items(self, topic: str, *, lang: str, since: datetime) -> list[NewsItem]:
        return [i for i in self._items if i.published > since]


async def test_a_topic_is_capped_to_its_newest_items_before_clustering() -> None:
    collected = await collect_topic_stories(
        "місто", sources=[ManyItems(2_000)], since=NOW - timedelta(hours=24), now=NOW,
        max_items=120,
    )
    assert collected.items_seen == 120
    newest = NOW - timedelta(seconds=30 * 119)
    assert all(story.latest >= newest for story in collected.stories)
