"""Parsing real captured feeds (../shared) and the fake outlets' feeds into NewsItems."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.news.feed import parse_feed, real_article_url
from bot.news.gdelt import parse_artlist
from tests.fakes.newsfeeds import NORTH_KOREA, bing_news_rss, gdelt_artlist, google_news_rss

FEEDS = Path("datasets/news-feeds")


def _read(shared_dir: Path, rel: str) -> bytes:
    path = shared_dir / FEEDS / rel
    if not path.exists():
        pytest.skip(f"{rel} is not in ../shared")
    return path.read_bytes()


def test_google_news_search_keeps_headline_outlet_and_token_link(shared_dir: Path) -> None:
    data = _read(shared_dir, "google-news/calebwhite-io__monument-watch/google_news.xml")
    items = parse_feed(data, feed_url="https://news.google.com/rss/search?q=x")

    assert len(items) == 92
    first = items[0]
    assert first.title == "Trump again shrinks two national monuments in Utah"
    assert first.outlet == "The Washington Post"
    assert first.outlet_domain == "washingtonpost.com"
    assert first.url.startswith("https://news.google.com/rss/articles/CBMi")
    assert first.is_token_link
    assert first.canonical.startswith("https://news.google.com/rss/articles/CBMi")
    assert "?" not in first.canonical  # `?oc=5` is not part of the identity
    assert first.published == datetime(2026, 7, 14, 3, 33, 16, tzinfo=UTC)
    assert first.source_kind == "google-news"
    # Every title ended in " - Outlet"; none does after parsing.
    assert not any(item.title.endswith(f" - {item.outlet}") for item in items)
    # Google's descriptions only repeat headline and outlet (or list related coverage).
    assert all(item.lead == "" for item in items)


def test_google_news_old_top_stories_and_french_feed(shared_dir: Path) -> None:
    data = _read(
        shared_dir, "google-news/introduction-to-python-bsuir-2019__PythonHomework/google_news.xml"
    )
    items = parse_feed(data, feed_url="https://news.google.com/rss")
    assert len(items) == 38
    assert all(item.outlet and item.title and item.published.tzinfo for item in items)

    fr = parse_feed(
        _read(shared_dir, "google-news/prof18__RSS-Parser/feed-test-source.xml"),
        feed_url="https://news.google.com/rss?hl=fr",
    )
    assert len(fr) == 1
    assert not fr[0].title.endswith(fr[0].outlet)
    assert fr[0].language == "fr"


def test_bing_news_real_article_url_is_extracted(shared_dir: Path) -> None:
    data = _read(shared_dir, "bing-news/jackemorywilliams-bit__isds-watcher/bing_news_feed.xml")
    items = parse_feed(data, feed_url="https://www.bing.com/news/search?q=ICSID&format=rss")

    assert len(items) == 3
    first = items[0]
    assert first.url == (
        "https://finance.yahoo.com/news/barrick-upholds-icsid-arbitration-face-013254090.html"
    )
    assert first.outlet == "Yahoo Finance"
    assert first.outlet_domain == "finance.yahoo.com"
    assert not first.is_token_link
    assert first.source_kind == "bing-news"
    assert all("bing.com" not in item.url for item in items)


def test_bing_rewrapped_text_is_normalised_and_empty_result_is_no_items(
    shared_dir: Path,
) -> None:
    items = parse_feed(
        _read(shared_dir, "bing-news/prof18__RSS-Parser/feed-bing-image.xml"), feed_url="x"
    )
    assert len(items) == 1
    assert "\n" not in items[0].title and "  " not in items[0].title
    assert items[0].outlet == "Daily Mail"
    assert items[0].url.startswith("https://www.dailymail.co.uk/sport/football/")
    assert "  " not in items[0].lead and items[0].lead

    empty = _read(shared_dir, "bing-news/prof18__RSS-Parser__d868086/feed-bing-image.xml")
    assert parse_feed(empty, feed_url="x") == []


def test_gdelt_artlist_is_parsed_with_its_quirks(shared_dir: Path) -> None:
    text = _read(
        shared_dir, "gdelt-doc/slnparadise2018-inov__GMBTradeFlaskAPI/gdelt_response.json"
    ).decode()
    items = parse_artlist(text)

    assert len(items) == 250
    assert not any(":443" in item.url for item in items)
    assert not any("\u200c" in item.title for item in items)
    assert not any(" , " in item.title or " ; " in item.title for item in items)
    assert all(item.published.tzinfo == UTC for item in items)
    assert all(item.outlet_domain and not item.is_token_link for item in items)
    assert {item.language for item in items} >= {"en", None}  # Malayalam etc. have no code

    dax = parse_artlist(
        _read(shared_dir, "gdelt-doc/lasse133__DaxDataDashboard/gdelt_sample.json").decode()
    )
    assert len(dax) == 105
    assert not any(" . " in item.title for item in dax)


def test_gdelt_text_answer_is_an_error_and_empty_object_is_no_items() -> None:
    with pytest.raises(ValueError, match="text, not JSON"):
        parse_artlist("Please limit requests to one every 5 seconds.")
    assert parse_artlist("{}") == []


@pytest.mark.parametrize(
    ("rel", "count", "outlet"),
    [
        ("publisher-rss/dpapathanasiou__photojournalism/npr.xml", 15, "NPR"),
        ("publisher-rss/dpapathanasiou__photojournalism/bbc.xml", 16, "BBC News"),
        ("publisher-rss/rbren__rss-parser/guardian.rss", 55, "The Guardian"),
    ],
)
def test_publisher_feeds(shared_dir: Path, rel: str, count: int, outlet: str) -> None:
    items = parse_feed(_read(shared_dir, rel), feed_url="https://publisher.example/rss")

    assert len(items) == count
    assert all(item.outlet.startswith(outlet) for item in items)
    assert all(item.lead and "<" not in item.lead for item in items)
    assert not any(item.lead.lower().endswith("continue reading...") for item in items)
    assert not any("at_medium" in item.canonical for item in items)  # BBC tracking params


def test_fake_feeds_parse_like_the_real_ones() -> None:
    google = parse_feed(google_news_rss("North Korea", NORTH_KOREA), feed_url="x")
    bing = parse_feed(bing_news_rss("North Korea", NORTH_KOREA), feed_url="x")
    gdelt = parse_artlist(gdelt_artlist(NORTH_KOREA))

    assert [i.title for i in google] == [r.headline for r in NORTH_KOREA]
    assert [i.url for i in bing] == [r.url for r in NORTH_KOREA]
    assert [i.url for i in gdelt] == [r.url for r in NORTH_KOREA]
    assert [i.title for i in gdelt] == [r.headline.replace("'s", "") for r in NORTH_KOREA]
    assert {i.outlet_key for i in google} == {i.outlet_key for i in bing}


def test_bing_click_link_without_target_is_kept() -> None:
    link = "http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=1"
    assert real_article_url(link) == link


def test_not_a_feed_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a readable feed"):
        parse_feed(b"<html><body>Just a moment...</body></html", feed_url="x")
