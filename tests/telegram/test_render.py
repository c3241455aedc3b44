"""Rendering is pure: every part must be HTML the (strict) fake Telegram accepts."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.article import Article, Note, Summary
from bot.i18n import translator
from bot.telegram import messages
from bot.telegram.markup import text_len, to_plain
from bot.telegram.render import render_summary
from tests.fakes.botapi import parse_html

ARTICLE = Article(
    url="https://news.example/a?x=1&y=2", final_url="https://www.news.example/a?x=1&y=2",
    title="Budget approved", text="…", site="News Example",
    published=datetime(2025, 7, 14, 9, 30, tzinfo=UTC),
)


def summary(points: list[str], **kw: object) -> Summary:
    return Summary(points=points, summarizer="extractive", **kw)  # type: ignore[arg-type]


def test_a_summary_has_title_bullets_site_date_and_link() -> None:
    (part,) = render_summary(ARTICLE, summary(["One.", "Two."]), url=ARTICLE.url)
    visible = parse_html(part)
    assert visible.splitlines()[0] == "Budget approved"
    assert "• One.\n• Two." in visible
    assert "News Example · 14 Jul 2025" in visible
    assert '<a href="https://news.example/a?x=1&amp;y=2">' in part


def test_hostile_text_is_escaped_and_stays_valid() -> None:
    hostile = Article(url="https://e.example/", final_url="https://e.example/",
                      title='<b>Tom & Jerry</b> </a> <script>"x"', text="…", site="<i>Site</i>")
    (part,) = render_summary(hostile, summary(["A < B & C > D </b>", "&amp; literal"]))
    visible = parse_html(part)  # raises if Telegram would refuse it
    assert visible.startswith('<b>Tom & Jerry</b> </a> <script>"x"')
    assert "• A < B & C > D </b>" in visible and "• &amp; literal" in visible
    assert "<i>Site</i>" in visible


def test_notes_for_teasers_and_fallbacks() -> None:
    (part,) = render_summary(ARTICLE, summary(["Only this."], partial=True,
                                              fallback_reason="timeout"))
    visible = parse_html(part)
    assert messages.TEASER_NOTE in visible and messages.FALLBACK_NOTE in visible


def test_the_summarizers_notes_are_in_the_readers_language() -> None:
    notes = [Note("long_article", covered_words=21),
             Note("language_fallback", written_in="en", asked="uk")]
    long_read = summary(["Only this."], partial=True, notes=notes)
    (english,) = render_summary(ARTICLE, long_read)
    (ukrainian,) = render_summary(ARTICLE, long_read, tr=translator("uk"))
    shown = parse_html(english)
    assert "ℹ️ Long article: these points cover its first 21 words." in shown
    assert "ℹ️ Written in English: the model did not answer in Ukrainian." in shown
    assert messages.TEASER_NOTE not in shown  # the long-article note says why it is partial
    shown = parse_html(ukrainian)
    # Ukrainian takes the singular form for 21; language names come from Babel's locale data.
    assert "ℹ️ Довга стаття: ці пункти охоплюють її перші 21 слово." in shown
    assert "ℹ️ Пункти написано мовою «англійська»: модель не відповіла мовою «українська»." in shown
    assert "Long article" not in shown and "Written in" not in shown


def test_long_summaries_split_between_bullets_and_each_part_fits() -> None:
    points = [f"Point {i} " + "word & more " * 120 for i in range(5)]  # ~1,450 chars each
    parts = render_summary(ARTICLE, summary(points))
    assert len(parts) > 1
    for part in parts:
        assert text_len(part) <= 4096
        parse_html(part)
    visible = "\n".join(parse_html(p) for p in parts)
    assert [line[:9] for line in visible.splitlines() if line.startswith("• ")] == [
        f"• Point {i}" for i in range(5)]
    assert parse_html(parts[-1]).rstrip().endswith("Read the original")


def test_a_single_point_longer_than_a_message_is_cut_between_words() -> None:
    point = " ".join(f"w{i}&" for i in range(2000)) + " " + "x" * 5000
    parts = render_summary(ARTICLE, summary([point]))
    for part in parts:
        assert text_len(part) <= 4096
        parse_html(part)
    words = " ".join(parse_html(p) for p in parts).split()
    assert "w0&" in words and "w1999&" in words


def test_emoji_count_twice_towards_the_limit() -> None:
    parts = render_summary(ARTICLE, summary(["😋" * 1500, "😋" * 1500]))
    assert len(parts) == 2
    assert all(text_len(p) <= 4096 for p in parts)


def test_untitled_and_undated_articles() -> None:
    bare = Article(url="https://www.e.example/x", final_url="https://www.e.example/x",
                   title="", text="…")
    visible = parse_html(render_summary(bare, summary(["P."]))[0])
    assert visible.startswith(messages.UNTITLED)
    assert "e.example" in visible


def test_plain_fallback_shows_what_the_markup_shows() -> None:
    (part,) = render_summary(ARTICLE, summary(["A & B < C"]))
    assert to_plain(part) == parse_html(part)
    assert "• A & B < C" in to_plain(part)
