"""URL parsing never raises anything but InvalidURL, and what it returns is stable."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import InvalidURL
from bot.urls import canonical_url, parse_http_url
from tests.fuzz.strategies import TEXT_CHARS, odd_urls

FUZZ = settings(max_examples=700, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.one_of(odd_urls, st.text(TEXT_CHARS, max_size=200)))
def test_parse_and_canonicalise_raise_only_invalid_url(raw: str) -> None:
    try:
        url = parse_http_url(raw)
    except InvalidURL:
        return
    assert url.startswith(("http://", "https://"))
    assert parse_http_url(url) == url  # normalising a normal URL changes nothing
    key = canonical_url(url)
    assert canonical_url(key) == key
    assert canonical_url(raw) == key


@FUZZ
@given(odd_urls)
def test_canonical_url_alone_raises_only_invalid_url(raw: str) -> None:
    try:
        key = canonical_url(raw)
    except InvalidURL:
        return
    assert key.startswith(("http://", "https://")) and "#" not in key
