"""URL parsing and canonical cache keys: what users paste and what the cache sees."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InvalidURL
from bot.urls import canonical_url, parse_http_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.com/a", "https://example.com/a"),
        ("  https://example.com/a \n", "https://example.com/a"),
        ("HTTPS://Example.COM", "https://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?b=1&a=2", "https://example.com/a?b=1&a=2"),  # order kept
        ("https://bücher.de/café?q=é", "https://xn--bcher-kva.de/caf%C3%A9?q=%C3%A9"),
        ("https://example.com/a%20b", "https://example.com/a%20b"),  # escapes kept as sent
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("http://news_site.example.com/", "http://news_site.example.com/"),
        # Numeric hosts are read the way browsers read them, so the SSRF guard sees them.
        ("http://2130706433/", "http://127.0.0.1/"),
        ("http://0177.0.0.1/", "http://127.0.0.1/"),
        ("http://0x7f.1/", "http://127.0.0.1/"),
        ("http://127.1/", "http://127.0.0.1/"),
        ("http://127.0.0.1./", "http://127.0.0.1/"),
        ("http://[::FFFF:127.0.0.1]:8080/", "http://[::ffff:7f00:1]:8080/"),
        ("http://[0:0:0:0:0:0:0:1]/", "http://[::1]/"),
    ],
)
def test_parse_http_url_normalises(raw: str, expected: str) -> None:
    assert parse_http_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("", "empty"),
        ("not a url", "no http"),
        ("example.com/news/1", "no http"),
        ("localhost:8080", "no http"),
        ("//example.com/a", "no http"),
        ("ftp://example.com/a", "'ftp'"),
        ("javascript:alert(1)", "'javascript'"),
        ("mailto:editor@example.com", "'mailto'"),
        ("file:///etc/passwd", "'file'"),
        ("http://", "no host"),
        ("http:///path", "no host"),
        ("https://:80/", "no host"),
        ("http://exa mple.com/", "invalid host"),
        ("http://a..b/", "invalid host"),
        ("http://example.com:99999/", "port"),
        ("http://example.com:abc/", "port"),
        ("http://example.com:0/", "port"),
        ("http://trusted.example@evil.example/", "user name"),
        ("http://user:pw@example.com/", "user name"),
        ("http://[::1/", "IPv6"),
        ("http://[fe80::1%25eth0]/", "zone"),
        ("http://1.2.3.256/", "IPv4"),
        ("http://1.2.3.4.5/", "IPv4"),
        ("http://foo.0x10/", "IPv4"),
        ("https://" + "a" * 64 + ".com/", "label"),
        ("https://example.com/" + "a" * 9000, "longer"),
    ],
)
def test_parse_http_url_names_the_problem(raw: str, needle: str) -> None:
    with pytest.raises(InvalidURL) as info:
        parse_http_url(raw)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM:80/a?b=2&a=1#frag", "http://example.com/a?a=1&b=2"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:443/", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com./x", "https://example.com/x"),
        ("https://ex.com/a?utm_source=tg&utm_medium=social&id=5", "https://ex.com/a?id=5"),
        ("https://ex.com/a?UTM_Campaign=x&id=5", "https://ex.com/a?id=5"),
        ("https://ex.com/a?utm_source=tg", "https://ex.com/a"),
        ("https://ex.com/a?fbclid=IwAR0&gclid=x&yclid=1&_ga=2.1&ocid=msn", "https://ex.com/a"),
        ("https://ex.com/a?mc_cid=1&mc_eid=2&igshid=3&ref_src=twsrc", "https://ex.com/a"),
        ("https://ex.com/a?CMP=share_btn_tw&page=2", "https://ex.com/a?page=2"),
        ("https://ex.com/a?ref=home&x=1", "https://ex.com/a?ref=home&x=1"),  # not tracking
        ("https://ex.com/a?b=&a", "https://ex.com/a?a&b="),
        ("https://ex.com/a?tag=b&tag=a", "https://ex.com/a?tag=a&tag=b"),
        ("https://ex.com/a?q=caf%c3%a9", "https://ex.com/a?q=caf%C3%A9"),
        ("https://ex.com/%7Euser/", "https://ex.com/~user/"),
        ("https://ex.com/a/./b/../c", "https://ex.com/a/c"),
        ("https://ex.com/a/b/..", "https://ex.com/a/"),
        ("https://ex.com/../a", "https://ex.com/a"),
        ("https://ex.com/Case/Kept", "https://ex.com/Case/Kept"),
        ("https://Bücher.DE/x", "https://xn--bcher-kva.de/x"),
        ("https://ex.com/a?&&x=1&", "https://ex.com/a?x=1"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_spellings_of_one_article_share_a_key() -> None:
    spellings = [
        "https://www.example.com/world/story?id=7",
        "HTTPS://WWW.EXAMPLE.COM:443/world/story?id=7#top",
        "https://www.example.com/world/./story?utm_source=telegram&id=7",
        "https://www.example.com/world/story?fbclid=abc&id=7&utm_medium=share",
    ]
    assert len({canonical_url(u) for u in spellings}) == 1


def test_canonical_url_rejects_what_parse_rejects() -> None:
    with pytest.raises(InvalidURL):
        canonical_url("ftp://example.com/a")


_segment = st.text(alphabet="abcXYZ09-._~%é ", max_size=8)


# No deadline: a timing assertion, which fails on a loaded machine (or under mutmut's
# tracing) without anything being wrong; derandomized so a mutant run is repeatable.
@settings(deadline=None, derandomize=True, database=None)
@given(
    host=st.sampled_from(["example.com", "Example.COM.", "bücher.de", "127.1", "[::1]"]),
    path=st.lists(_segment, max_size=4),
    params=st.lists(
        st.tuples(st.sampled_from(["a", "B", "utm_source", "fbclid", "id", "%7E"]), _segment),
        max_size=5,
    ),
)
def test_canonical_url_is_idempotent(
    host: str, path: list[str], params: list[tuple[str, str]]
) -> None:
    query = "&".join(f"{k}={v}" for k, v in params)
    url = f"https://{host}/{'/'.join(path)}" + (f"?{query}" if query else "")
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert parse_http_url(once) == once


def test_a_long_bad_url_is_shown_shortened_in_the_message() -> None:
    # The reply quotes the URL the user sent; a long one is cut to 80 characters with "…".
    long = "ftp://example.com/" + "a" * 200
    with pytest.raises(InvalidURL) as refused:
        parse_http_url(long)
    assert repr(long[:79] + "…") in str(refused.value)
    exactly = "ftp://example.com/" + "b" * 62  # 80 characters: shown whole
    with pytest.raises(InvalidURL) as refused:
        parse_http_url(exactly)
    assert repr(exactly) in str(refused.value)
