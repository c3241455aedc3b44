"""OPML in and out (bot/opml.py): readers' real-world shapes read, hostile XML refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import BING_NEWS_SEARCH, GOOGLE_NEWS_SEARCH
from bot.opml import MAX_OPML_BYTES, OpmlError, Outline, parse_opml, render_opml, topic_of
from bot.opml import topic_url as search_feed

# Shaped like Feedly's and Inoreader's exports: categories as nested outlines, `text` and
# `title` both present or only one, attribute case as the reader wrote it.
READER_EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Ada subscriptions in feedly Cloud</title></head>
  <body>
    <outline text="Новини" title="Новини">
      <outline type="rss" text="Українська правда" title="Українська правда"
               xmlUrl="https://www.pravda.com.ua/rss/" htmlUrl="https://www.pravda.com.ua/"/>
      <outline text="Deeper">
        <outline type="rss" text="中文新闻" xmlUrl="https://example.cn/rss.xml"/>
      </outline>
    </outline>
    <outline type="rss" title="BBC   News
      World" xmlurl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
    <outline text="A link, not a feed" type="link" url="https://example.org/"/>
    <outline type="rss" text="" xmlUrl="  https://example.org/feed  "/>
  </body>
</opml>
""".encode()


def test_a_readers_export_nested_in_categories_in_any_script() -> None:
    assert parse_opml(READER_EXPORT) == [
        Outline("https://www.pravda.com.ua/rss/", "Українська правда"),
        Outline("https://example.cn/rss.xml", "中文新闻"),
        Outline("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC News World"),
        Outline("https://example.org/feed", ""),
    ]


def test_the_declared_encoding_is_honoured() -> None:
    text = ('<?xml version="1.0" encoding="windows-1251"?><opml version="2.0"><body>'
            '<outline text="Новости" xmlUrl="https://example.ru/rss"/></body></opml>')
    assert parse_opml(text.encode("cp1251")) == [Outline("https://example.ru/rss", "Новости")]
    utf16 = text.replace("windows-1251", "UTF-16").encode("utf-16")
    assert parse_opml(utf16) == [Outline("https://example.ru/rss", "Новости")]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<opml version="2.0"><body><outline text="&lol9;" xmlUrl="https://example.org/feed"/></body></opml>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&secret;" xmlUrl="https://example.org/f"/></body></opml>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE opml SYSTEM "http://169.254.169.254/latest/meta-data/">
<opml version="2.0"><body><outline text="x" xmlUrl="https://example.org/f"/></body></opml>
"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE, EXTERNAL_DTD],
                         ids=["billion-laughs", "xxe-file", "external-dtd"])
def test_entities_and_external_references_are_refused(document: bytes) -> None:
    with pytest.raises(OpmlError) as refused:
        parse_opml(document)
    assert refused.value.problem == "unsafe"


def test_any_doctype_is_refused_as_readers_never_write_one() -> None:
    with pytest.raises(OpmlError) as refused:
        parse_opml(b'<!DOCTYPE opml><opml><body><outline xmlUrl="https://e.org/f"/></body></opml>')
    assert refused.value.problem == "unsafe"


@pytest.mark.parametrize(("document", "problem"), [
    (b"<opml><body><outline xmlUrl='https://e.org/f'></body>", "malformed"),
    (b"", "malformed"),
    (b"\xff\xfe\x00garbage", "malformed"),
    (b'<?xml version="1.0" encoding="punycode"?><opml/>', "malformed"),
    ("Just some text, Привіт".encode(), "malformed"),
    (b'<rss version="2.0"><channel><title>A feed</title></channel></rss>', "not_opml"),
    (b"<opml>" + b" " * MAX_OPML_BYTES + b"</opml>", "too_large"),
])
def test_what_is_not_an_opml_file_says_why(document: bytes, problem: str) -> None:
    with pytest.raises(OpmlError) as refused:
        parse_opml(document)
    assert refused.value.problem == problem


def test_deep_nesting_is_read_without_recursion() -> None:
    depth = 5000
    document = (b"<opml><body>" + b"<outline text='c'>" * depth
                + b"<outline xmlUrl='https://e.org/deep'/>" + b"</outline>" * depth
                + b"</body></opml>")
    assert parse_opml(document) == [Outline("https://e.org/deep")]


def test_render_writes_opml_2_that_reads_back() -> None:
    outlines = [Outline("https://e.org/a?x=1&y=2", "Новини <важливі> & \"свіжі\""),
                Outline("https://e.org/b", ""), Outline("https://e.org/c", "bell\x07 char")]
    written = render_opml("Мої стрічки", outlines, created=datetime(2026, 12, 2, tzinfo=UTC))
    assert written.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<opml version=\"2.0\">")
    assert b"<dateCreated>Wed, 02 Dec 2026 00:00:00 +0000</dateCreated>" in written
    assert parse_opml(written) == [
        Outline("https://e.org/a?x=1&y=2", "Новини <важливі> & \"свіжі\""),
        Outline("https://e.org/b", "https://e.org/b"),  # untitled: named by its address
        Outline("https://e.org/c", "bell char"),
    ]


@pytest.mark.parametrize("topic", ["North Korea", "Київ & Харків", "C++ / Rust?", "東京"])
@pytest.mark.parametrize("template", [GOOGLE_NEWS_SEARCH, BING_NEWS_SEARCH])
def test_a_topic_survives_its_search_feed_url(template: str, topic: str) -> None:
    url = search_feed(template, topic, "uk")
    assert topic_of(url, [GOOGLE_NEWS_SEARCH, BING_NEWS_SEARCH]) == topic


def test_other_feeds_are_not_topics() -> None:
    templates = [GOOGLE_NEWS_SEARCH]
    assert topic_of("https://news.google.com/rss/search?hl=en", templates) is None
    assert topic_of("https://news.google.com/rss/topics/abc?q=x", templates) is None
    assert topic_of("https://example.org/rss/search?q=x", templates) is None
    assert topic_of("https://news.google.com/rss/search?q=x", ["https://x.org/{lang}"]) is None
