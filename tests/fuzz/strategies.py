"""Hypothesis strategies for what users and pages can throw at the bot."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# Letters from several scripts, emoji (two UTF-16 units each), combining marks, RTL and
# zero-width characters, HTML specials: the characters that break offset and escaping code.
SPICE = [
    *"<>&\"'/\\;:?#%@=+. \n\t", "🙂", "🇺🇦", "👨‍👩‍👧", "𝕏", "é", "е", "ß", "中", "ي",
    "\u200b", "\u200d", "\u202e", "\u0301", "\ufeff", "&amp;", "&lt;", "</b>", "<a href=",
    "\x00", "\x7f", "http://example.com/a?b=1&c=2", "www.bbc.co.uk/news", "https://t.co/x",
]
# No lone surrogates: Telegram only ever sends valid UTF-8 text.
TEXT_CHARS = st.characters(exclude_categories=["Cs"])
spicy_text = st.lists(st.one_of(st.text(TEXT_CHARS, max_size=8), st.sampled_from(SPICE)),
                      max_size=40).map("".join)
# Telegram never sends an empty text or caption (entities then have nothing to point into).
message_text = spicy_text.filter(bool)
# Without astral characters every UTF-16 offset falls between two characters.
bmp_text = st.lists(
    st.one_of(st.text(st.characters(exclude_categories=["Cs"], max_codepoint=0xFFFF),
                      max_size=8),
              st.sampled_from([c for c in SPICE if all(ord(ch) <= 0xFFFF for ch in c)])),
    min_size=1, max_size=40).map("".join).filter(bool)

hosts = st.one_of(
    st.sampled_from([
        "example.com", "www.bbc.co.uk", "127.0.0.1", "2130706433", "0x7f.1", "[::1]",
        "[::ffff:127.0.0.1]", "169.254.169.254", "bücher.de", "xn--bcher-kva.de", "localhost",
        "a..b", "-bad-.com", "1.2.3.256", "[fe80::1%25eth0]", "[::1", "example.com.", "",
        "EXAMPLE.COM", "x" * 64 + ".com", "user:pass@example.com", "ex ample.com", "例子.测试",
    ]),
    st.text(TEXT_CHARS, max_size=20),
)
schemes = st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "javascript:", "", "//",
                           "http:/", "tg://", "mailto:", "www.", "http:\\\\"])
ports = st.one_of(st.just(""), st.integers(-1, 70000).map(lambda p: f":{p}"),
                  st.sampled_from([":", ":0", ":80", ":443", ":8o8o", ":99999999999"]))
paths = st.one_of(st.just(""), spicy_text.map(lambda s: "/" + s),
                  st.sampled_from(["/a/../b/./c", "/%zz%2", "/?utm_source=x&b=2&a=1#frag",
                                   "/%E2%82%AC?q=%41", "/" + "a" * 9000]))
odd_urls = st.builds(lambda *parts: "".join(parts), schemes, hosts, ports, paths)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@st.composite
def entities(draw: st.DrawFn, text: str, *, valid: bool) -> list[dict[str, Any]]:
    """Entities for `text`: UTF-16 offsets inside the text, or (valid=False) anything."""
    size = utf16_len(text)
    bounds = sorted(boundaries(text))
    found: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 6))):
        if valid and size:
            start, end = sorted(draw(st.lists(st.sampled_from(bounds), min_size=2, max_size=2,
                                              unique=True)))
            offset, length = start, end - start
        elif valid:
            break
        else:
            offset = draw(st.one_of(st.integers(-5, size + 5), st.integers(-(2**31), 2**31)))
            length = draw(st.one_of(st.integers(-5, size + 5), st.integers(0, 2**31)))
        kind = draw(st.sampled_from(["url", "text_link", "bold", "mention", "bot_command",
                                     "text_link", "url", "code"]))
        entity: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
        if kind == "text_link":
            entity["url"] = draw(odd_urls)
        found.append(entity)
    return found


def boundaries(text: str) -> set[int]:
    """UTF-16 offsets that fall between characters (never inside an emoji's pair)."""
    found = {0}
    at = 0
    for ch in text:
        at += 2 if ord(ch) > 0xFFFF else 1
        found.add(at)
    return found


def whole_units(text: str, entity: dict[str, Any]) -> bool:
    """Does `entity` start and end on character boundaries (not inside an emoji's pair)?"""
    starts = boundaries(text)
    return entity["offset"] in starts and entity["offset"] + entity["length"] in starts
