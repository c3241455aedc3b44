"""HTML → Article: the body without the page's furniture, its metadata, hostile pages."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.errors import ExtractionError
from bot.extract import article_from_text, extract_article

PAGES = Path(__file__).parent / "fixtures" / "pages"


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


# --- the body -------------------------------------------------------------------------------


def test_seed_page_keeps_the_story_and_drops_the_furniture() -> None:
    article = extract_article(
        page("seed-article.html"), url="https://www.frontline.example/news/north-korea-generals"
    )

    assert article.text.startswith("According to a report in The Wall Street Journal")
    assert "roughly 15,000 North Korean troops" in article.text
    assert "Colonel General Kim Yong-bok" in article.text
    for furniture in (
        "cookies",  # cookie notice
        "More on the topic",  # related list and its cards
        "What North Korea told Russia",
        "Додати до обраного",
        "Читати українською",  # language switcher
        "English version of our website",
        "How do you like that",  # reactions and share buttons
        "Telegram",
        "All rights reserved",
        "Economy",  # menu
    ):
        assert furniture not in article.text, furniture
    # the headline is the title, not the first paragraph again
    assert not article.text.startswith("North Korea withdrew")


def test_paragraphs_are_separated_by_blank_lines() -> None:
    article = extract_article(page("bare.html"), url="https://town-news.example.org/a")
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[1].startswith("Students had asked for longer hours")
    # the HTML's own line breaks inside a paragraph do not survive
    assert all("\n" not in p for p in paragraphs)


# --- metadata -------------------------------------------------------------------------------


def test_metadata_from_open_graph_and_json_ld() -> None:
    article = extract_article(
        page("seed-article.html"),
        url="https://frontline.example/s/abc",
        final_url="https://www.frontline.example/news/north-korea-generals",
    )
    assert article.title == "North Korea withdrew its generals from Russia — what's happening?"
    assert article.site == "Frontline Daily"  # og:site_name wins over the JSON-LD publisher
    assert article.published == datetime(2025, 7, 14, 6, 30, tzinfo=UTC)
    assert article.published.utcoffset() == timedelta(hours=3)
    assert article.language == "en"
    assert article.url == "https://frontline.example/s/abc"
    assert article.final_url == "https://www.frontline.example/news/north-korea-generals"


def test_metadata_from_a_json_ld_graph_only() -> None:
    article = extract_article(page("jsonld-graph-uk.html"), url="https://misto.example/kyiv/1")
    assert article.title == "Київ запускає нові тролейбусні маршрути"
    assert article.site == "Міські вісті"  # the publisher, as there is no og:site_name
    assert article.published == datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
    assert article.language == "uk"  # no lang attribute: told from the text itself
    assert "cookie" not in article.text
    assert article.text.startswith("З наступного понеділка")


def test_metadata_from_meta_tags() -> None:
    article = extract_article(
        page("meta-tags-de.html"), url="https://www.rheinkurier.example/lokales/radweg"
    )
    assert article.title == "Stadtrat beschließt neuen Radweg am Flussufer"
    assert article.site == "Rheinkurier"
    assert article.published == datetime(
        2023, 9, 18, 7, 45, tzinfo=timezone(timedelta(hours=2))
    )
    assert article.language == "de"  # <meta http-equiv="content-language" content="de-DE">
    assert "newsletter" not in article.text


def test_a_page_without_metadata_falls_back_to_host_url_date_and_detection() -> None:
    article = extract_article(
        page("bare.html"), url="https://www.town-news.example.org/2024/05/06/library-hours"
    )
    assert article.title == "Library extends its opening hours"
    assert article.site == "town-news.example.org"
    assert article.published is not None and article.published.date().isoformat() == "2024-05-06"
    assert article.language == "en"


def test_title_drops_the_site_name_suffix() -> None:
    html = page("meta-tags-de.html").replace(
        '<meta property="og:title" content="Stadtrat beschließt neuen Radweg am Flussufer">', ""
    )
    article = extract_article(html, url="https://rheinkurier.example/a")
    assert article.title == "Stadtrat beschließt neuen Radweg am Flussufer"


def test_broken_json_ld_still_yields_its_date() -> None:
    html = page("bare.html").replace(
        "<head>",
        '<head><script type="application/ld+json">{"@type": "NewsArticle", '
        '"datePublished": "2022-01-02T03:04:05+00:00", "caption": "a "quoted" word"}</script>',
    )
    article = extract_article(html, url="https://example.org/a")
    assert article.published == datetime(2022, 1, 2, 3, 4, 5, tzinfo=UTC)


# --- text that was not UTF-8, and hostile pages -------------------------------------------


def test_a_page_decoded_from_a_legacy_charset() -> None:
    raw = page("jsonld-graph-uk.html").replace("utf-8", "windows-1251").encode("cp1251")
    article = extract_article(raw.decode("cp1251"), url="https://misto.example/kyiv/1")
    assert "тролейбусні маршрути" in article.text
    assert article.language == "uk"


def test_invalid_utf8_decoded_with_replacement_characters() -> None:
    raw = page("bare.html").encode("utf-8").replace(b"library", b"libr\xff\xfery")
    article = extract_article(raw.decode("utf-8", errors="replace"), url="https://e.org/a")
    assert "libr\ufffd\ufffdry" in article.text
    assert "local history society" in article.text


def test_lone_surrogates_and_control_characters_do_not_cut_the_text() -> None:
    html = page("bare.html").replace("exam season", "exam \udcff\x00\x07 season")
    article = extract_article(html, url="https://e.org/a")
    assert "local history society" in article.text  # the text after them is still there
    assert "\x00" not in article.text and "\x07" not in article.text


def test_ten_thousand_deep_nesting_degrades_to_flat_text() -> None:
    deep = "<div>" * 10_000 + "<p>Deep inside sits one paragraph of real words here.</p>"
    deep += "</div>" * 10_000
    html = page("bare.html").replace("<body>", "<body>" + deep)
    article = extract_article(html, url="https://e.org/a")
    # libxml2 would have dropped everything after the deep part; the flat reader does not
    assert "local history society" in article.text
    assert "Deep inside sits one paragraph" in article.text


def test_deep_nesting_without_any_text_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError):
        extract_article("<span>" * 10_000, url="https://e.org/a")


def test_a_page_on_one_giant_line() -> None:
    paragraphs = "".join(
        "<p>" + f"Item {i}: the committee reviewed budget line {i} and approved it. " * 10 + "</p>"
        for i in range(1500)
    )
    html = f"<html><head><title>One line</title></head><body>{paragraphs}</body></html>"
    assert "\n" not in html and len(html) > 1_000_000
    article = extract_article(html, url="https://e.org/a")
    assert article.text.startswith("Item 0: the committee reviewed budget line 0")
    assert "budget line 1499" in article.text


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   \n ",
        "<html><head><title>Nothing</title></head><body></body></html>",
        "<!-- just a comment -->",
        "<html><body><script>var a = 1;" + "document.write('x');" * 500 + "</script></body></html>",
        "<script>console.log('no markup at all')</script><style>p{color:red}</style>",
    ],
    ids=["empty", "blank", "empty-body", "comment", "script-only", "script-and-style"],
)
def test_no_article_text_is_an_extraction_error(html: str) -> None:
    with pytest.raises(ExtractionError, match=r"(?i)no article text"):
        extract_article(html, url="https://e.org/a")


def test_markup_in_the_title_stays_text() -> None:
    html = page("bare.html").replace(
        "<title>Library extends its opening hours</title>",
        "<title>Library &lt;script&gt;alert(1)&lt;/script&gt; hours</title>",
    )
    article = extract_article(html, url="https://e.org/a")
    assert article.title == "Library <script>alert(1)</script> hours"  # plain text, unparsed


# --- plain text -----------------------------------------------------------------------------


def test_text_with_a_headline() -> None:
    article = article_from_text(
        "Council approves new budget\n\nThe council met on Monday.\n\nIt voted 7 to 2.\n",
        url="file:///tmp/a.txt",
    )
    assert article.title == "Council approves new budget"
    assert article.text == "The council met on Monday.\n\nIt voted 7 to 2."
    assert article.url == article.final_url == "file:///tmp/a.txt"


def test_text_whose_headline_is_followed_directly_by_the_body() -> None:
    article = article_from_text("Council approves new budget\nThe council met.\nIt voted.")
    assert article.title == "Council approves new budget"
    assert article.text == "The council met.\n\nIt voted."


def test_a_single_paragraph_has_no_title() -> None:
    text = (
        "The council met on Monday and approved the budget after a long debate about the "
        "cost of the new bridge, which opponents called a waste of public money."
    )
    article = article_from_text(text)
    assert article.title == ""
    assert article.text == text


def test_a_first_line_that_is_a_sentence_is_not_a_title() -> None:
    article = article_from_text("The council met on Monday.\n\nIt voted 7 to 2.")
    assert article.title == ""
    assert article.text == "The council met on Monday.\n\nIt voted 7 to 2."


def test_a_hard_wrapped_paragraph_is_not_split_into_title_and_body() -> None:
    article = article_from_text(
        "The council met on Monday and after a long debate\nabout the bridge it approved "
        "the budget.\n"
    )
    assert article.title == ""
    assert article.text.startswith("The council met on Monday")


def test_windows_line_endings_and_empty_input() -> None:
    article = article_from_text("Headline\r\n\r\nFirst paragraph.\r\n\r\nSecond one.\r\n")
    assert (article.title, article.text) == ("Headline", "First paragraph.\n\nSecond one.")
    empty = article_from_text("")
    assert (empty.title, empty.text) == ("", "")


# --- real pages ------------------------------------------------------------------------------


def test_real_pages_score_well(shared_dir: Path) -> None:
    """A few pages of the public benchmark (bench/extraction.py scores all of them)."""
    from bench.extraction import score_page

    data = shared_dir / "datasets" / "article-extraction-benchmark"
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    f1s = []
    for key in sorted(truth)[:8]:
        html = gzip.decompress((data / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8")
        article = extract_article(html, url=truth[key]["url"])
        score = score_page(truth[key]["articleBody"], article.text)
        f1s.append(2 * score.precision * score.recall / (score.precision + score.recall))
        assert f1s[-1] >= 0.75, (truth[key]["url"], score)
    assert sum(f1s) / len(f1s) >= 0.9, f1s


def test_a_page_without_text_is_reported_once_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"), pytest.raises(ExtractionError):
        extract_article("<html><body><script>1</script></body></html>", url="https://e.org/a")
    assert not caplog.records  # the CLI prints the error as its one stderr line


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Уряд ухвалив нове рішення щодо підтримки громад, які постраждали від обстрілів.", "uk"),
        ("Правительство приняло новое решение о поддержке регионов, это было вчера.", "ru"),
        ("今日は東京で新しい図書館が開館しました。多くの人が訪れています。", "ja"),
        ("서울시는 오늘 새로운 도서관을 개관했다고 밝혔습니다. 많은 시민이 방문했습니다.", "ko"),
        ("O governo anunciou que não vai aumentar os impostos para as famílias este ano.", "pt"),
        ("Il governo ha detto che non ci sono nuove tasse per le famiglie e per le imprese.", "it"),
    ],
)
def test_undeclared_language_is_told_from_the_text(text: str, lang: str) -> None:
    html = f"<html><body><p>{text}</p><p>{text}</p></body></html>"
    assert extract_article(html, url="https://e.org/a").language == lang


def test_too_little_text_gets_no_language_guess() -> None:
    assert article_from_text("OK 42").language is None


def test_link_only_lists_go_and_lists_of_facts_stay() -> None:
    facts = (
        '<ul><li>About 15,000 soldiers were sent since the autumn of 2024, '
        '<a href="/t/kursk">most of them to Kursk</a>.</li>'
        "<li>More than ten commanders came home this month.</li></ul>"
    )
    html = (
        page("seed-article.html")
        .replace(
            '<div class="post-body">',
            '<div class="post-body"><ul class="tags"><li><a href="/t/dprk">DPRK</a></li>'
            '<li><a href="/t/kursk">Kursk region offensive</a></li>'
            '<li><a href="/t/war">War</a></li></ul>',
        )
        .replace("<p>Reporters learned", facts + "<p>Reporters learned")
    )
    article = extract_article(html, url="https://frontline.example/a")
    assert "Kursk region offensive" not in article.text
    # a list of sentences (a link inside one of them or not) is article text: it stays
    assert "- About 15,000 soldiers were sent since the autumn of 2024, most of them" in (
        article.text
    )
    assert "- More than ten commanders came home this month." in article.text


def test_strip_noise_removes_link_only_lists_and_keeps_their_tail() -> None:
    from bot.extract.tree import parse_html, strip_noise

    tree = parse_html(
        "<html><body><div><ul><li><a href='/a'>Menu A</a></li><li><a href='/b'>Menu B</a></li>"
        "</ul>tail words<ol><li>A fact with a <a href='/s'>source</a>.</li></ol>"
        "<script>x()</script><p>Text</p></div></body></html>"
    )
    assert tree is not None
    strip_noise(tree)
    text = tree.text_content()
    assert "Menu A" not in text and "x()" not in text
    assert "tail words" in text and "A fact with a source." in text and "Text" in text
