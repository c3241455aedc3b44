"""The fake Bot API is only useful if it refuses what Telegram refuses."""

from __future__ import annotations

import pytest

from tests.fakes.botapi import EntityParseError, auto_entities, parse_html


@pytest.mark.parametrize("text", [
    "<b>bold</b> &amp; <i>it</i> &lt;tag&gt; &#128512; &quot;",
    '<a href="https://e.example/?a=1&amp;b=2">link</a>',
    "<b><i>nested</i></b><code>x</code><pre>y</pre><blockquote>z</blockquote>",
    '<span class="tg-spoiler">s</span> &#34;quoted&#34; &#39;single&#39; &#x1F600;',
])
def test_valid_telegram_html(text: str) -> None:
    parse_html(text)


@pytest.mark.parametrize("text", [
    "<b>unclosed", "closed</b>", "<b><i>crossed</b></i>", "<div>unknown</div>", "<br>",
    "1 < 2", "Tom & Jerry", "a > b", '<a href="">empty</a>', "&nbsp;",
    '<a href="https://e.example/?a=1&b=2">bare amp in href</a>',
    "&#1114112; beyond Unicode", "&#xD800; a surrogate", "&#0;", "<span>no spoiler</span>",
])
def test_invalid_telegram_html(text: str) -> None:
    with pytest.raises(EntityParseError):
        parse_html(text)


def test_visible_text_is_what_counts() -> None:
    assert parse_html("<b>a</b>&amp;") == "a&"


def test_auto_entities_use_utf16_offsets() -> None:
    (entity,) = auto_entities("😋 https://e.example/x.")
    assert entity == {"offset": 3, "length": 19, "type": "url"}
