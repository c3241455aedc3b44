"""Whatever a page or a model says, our Telegram HTML is valid and every part fits."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.article import Article, Summary
from bot.errors import InvalidURL
from bot.telegram.markup import Markup, pack, to_plain
from bot.telegram.render import render_summary
from bot.urls import parse_http_url
from tests.fakes.botapi import MAX_TEXT, parse_html, utf16_len
from tests.fuzz.strategies import SPICE, TEXT_CHARS, odd_urls, spicy_text


def _parses(url: str) -> bool:
    try:
        parse_http_url(url)
    except InvalidURL:
        return False
    return True


# What reaches render: links the pipeline accepted (as the user wrote them), up to 3,000
# characters to keep examples quick; links near MAX_URL_LENGTH (8192) have their own test,
# test_a_very_long_link_still_fits_in_messages (the footer links the canonical URL then).
links = odd_urls.filter(lambda u: _parses(u) and len(u) <= 3000)

FUZZ = settings(max_examples=200, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Long runs make the splitting paths work: words longer than a message, escapes at the cut.
long_text = st.one_of(
    spicy_text,
    st.builds(lambda s, n: s * n, st.sampled_from([*SPICE, "word ", "&", "🙂"]),
              st.integers(1, 5000)),
    st.text(TEXT_CHARS, max_size=300),
)


def check_part(part: Markup, limit: int = MAX_TEXT) -> None:
    assert isinstance(part, Markup)  # what the bot will agree to send as HTML
    visible = parse_html(part)  # raises like Telegram on bad markup
    assert visible.strip()
    assert utf16_len(visible) <= limit
    assert utf16_len(part) <= limit  # even as source, as render promises
    assert to_plain(part) == visible


@FUZZ
@given(
    title=long_text, points=st.lists(long_text, max_size=6), site=st.none() | spicy_text,
    url=links, link=st.none() | links, partial=st.booleans(),
    fallback=st.none() | spicy_text, dated=st.booleans(),
)
def test_rendered_summaries_are_valid_html_within_the_limit(
    title: str, points: list[str], site: str | None, url: str, link: str | None,
    partial: bool, fallback: str | None, dated: bool,
) -> None:
    article = Article(url=url, final_url=url, title=title, text="", site=site,
                      published=datetime(2025, 7, 14, tzinfo=UTC) if dated else None)
    summary = Summary(points=points, summarizer="llm:x", partial=partial,
                      fallback_reason=fallback)
    parts = render_summary(article, summary, url=link)
    assert parts
    for part in parts:
        check_part(part)
    # Nothing said was lost in the splitting: every point is there, in order (a word too
    # long for one message is cut, so compare without whitespace).
    shown = "".join("".join(to_plain(p) for p in parts).split())
    for point in points:
        assert "".join(point.split()) in shown


def test_a_very_long_link_still_fits_in_messages() -> None:
    url = "https://example.com/" + "a" * 8000
    article = Article(url=url, final_url=url, title="t", text="")
    for part in render_summary(article, Summary(points=["p"], summarizer="x"), url=url):
        check_part(part)
    # Tracking parameters are what usually makes a link that long: the canonical one stays.
    tracked = "https://example.com/story?id=7&utm_source=" + "x" * 7000
    parts = render_summary(article, Summary(points=["p"], summarizer="x"), url=tracked)
    assert 'href="https://example.com/story?id=7"' in "".join(parts)


@FUZZ
@given(blocks=st.lists(long_text.map(Markup.escape), max_size=20),
       limit=st.integers(50, MAX_TEXT))
def test_packing_never_loses_or_splits_a_block_that_fits(blocks: list[Markup],
                                                        limit: int) -> None:
    parts = pack(blocks, limit)
    fitting = [b.strip("\n") for b in blocks if b.strip() and utf16_len(b) <= limit]
    text = "\n".join(parts)
    for block in fitting:
        assert block in text
