"""Fetching pages and feeds from a real loopback site: safety, limits, charsets, retries."""

from __future__ import annotations

import gzip
import itertools
import socket
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.errors import (
    BlockedAddress,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    InvalidURL,
    NotHTML,
    TooLarge,
    TooManyRedirects,
)
from bot.fetch import FEED_TYPES, Fetcher, decode_html
from tests.fakes.site import FakeDNS, FakeSite, Request, Response

HTML = "<!doctype html><html><head><title>Story</title></head><body><p>News.</p></body></html>"
RUSSIAN = (
    "Правительство объявило о новых мерах поддержки экономики. Министр финансов заявил, "
    "что бюджет на следующий год будет сбалансирован, а инфляция снизится. "
)
JAPANESE = (
    "政府は本日、経済を支援するための新しい対策を発表しました。財務大臣は、来年度の予算は"
    "均衡が取れたものになり、物価上昇は落ち着くと述べました。専門家の間では評価が分かれています。"
)

FetcherFactory = Callable[..., Fetcher]


@pytest.fixture
async def make_fetcher(site: FakeSite) -> AsyncIterator[FetcherFactory]:
    """Build Fetchers that may talk to the loopback site; all are closed after the test."""
    made: list[Fetcher] = []

    def make(**settings: Any) -> Fetcher:
        resolver = settings.pop("resolver", None)
        transport = settings.pop("transport", None)
        settings.setdefault("fetch_allow_private_hosts", [site.host])
        settings.setdefault("fetch_timeout", 5.0)
        fetcher = Fetcher(Settings(**settings), transport=transport, resolver=resolver)
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        await fetcher.aclose()


@pytest.fixture
async def fetcher(make_fetcher: FetcherFactory) -> Fetcher:
    return make_fetcher()


class RecordingTransport(httpx.AsyncBaseTransport):
    """Stands in for the network: anything that reaches it was sent."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, html=HTML)


# --- the happy path --------------------------------------------------------------------------


async def test_fetches_a_page_like_a_browser(site: FakeSite, make_fetcher: FetcherFactory) -> None:
    url = site.page("/story", HTML, headers={"ETag": '"v1"'})
    fetcher = make_fetcher(fetch_user_agent="Mozilla/5.0 test-agent")
    page = await fetcher.fetch(url)
    assert page.url == page.final_url == url
    assert page.text == HTML
    assert (page.status_code, page.content_type, page.etag) == (200, "text/html", '"v1"')
    sent = site.history[0].headers
    assert sent["User-Agent"] == "Mozilla/5.0 test-agent"
    assert sent["Accept"].startswith("text/html")
    assert sent["Accept-Encoding"] == "gzip, deflate"


async def test_invalid_url_is_refused_before_any_request(fetcher: Fetcher) -> None:
    with pytest.raises(InvalidURL, match="ftp"):
        await fetcher.fetch("ftp://example.com/file")


async def test_gzip_and_deflate_bodies_are_decoded(site: FakeSite, fetcher: Fetcher) -> None:
    site.route("/gz", Response(body=HTML, gzip=True))
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    body = raw_deflate.compress(HTML.encode()) + raw_deflate.flush()
    site.route("/deflate", Response(body=body, headers={"Content-Encoding": "deflate"}))
    site.route("/zlib", Response(body=zlib.compress(HTML.encode()),
                                 headers={"Content-Encoding": "deflate"}))
    for path in ("/gz", "/deflate", "/zlib"):
        assert (await fetcher.fetch(site.url(path))).text == HTML


# --- SSRF ------------------------------------------------------------------------------------

SSRF_URLS = [
    "http://127.0.0.1/", "http://127.1/", "http://127.0.1/", "http://2130706433/",
    "http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://0x7f.1/", "http://0x7f000001/",
    "http://017700000001/", "http://127.0.0.1./", "http://localhost/", "http://LOCALHOST./",
    "http://[::1]/", "http://[0:0:0:0:0:0:0:1]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/", "http://[::127.0.0.1]/", "http://0.0.0.0/", "http://0/",
    "http://[::]/", "http://169.254.169.254/latest/meta-data/", "http://0xa9fea9fe/",
    "http://2852039166/", "http://[::ffff:169.254.169.254]/", "http://[fe80::1]/",
    "http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://192.0.0.8/", "http://198.18.0.1/", "http://224.0.0.1/", "http://240.0.0.1/",
    "http://255.255.255.255/", "http://[fd00::1]/", "http://[fc00::1]/", "http://[fec0::1]/",
    "http://[ff02::1]/", "http://[64:ff9b::7f00:1]/", "http://[64:ff9b::a00:1]/",
    "http://[2002:7f00:1::]/", "http://[2002:a9fe:a9fe::]/",
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "https://127.0.0.1:22/",
    "http://evil.example/", "http://mixed.example/", "http://v6.example/",
    "http://metadata.example/computeMetadata/v1/",
]


def _evil_dns() -> FakeDNS:
    return (
        FakeDNS()
        .add("evil.example", ["10.0.0.1"])
        .add("mixed.example", ["93.184.216.34", "127.0.0.1"])
        .add("v6.example", ["fd00::1"])
        .add("metadata.example", ["169.254.169.254"])
    )


@pytest.mark.parametrize("url", SSRF_URLS)
async def test_non_public_targets_are_refused_before_any_request(
    url: str, make_fetcher: FetcherFactory
) -> None:
    transport = RecordingTransport()
    fetcher = make_fetcher(fetch_allow_private_hosts=[], transport=transport, resolver=_evil_dns())
    with pytest.raises(BlockedAddress):
        await fetcher.fetch(url)
    assert transport.requests == []


@pytest.mark.parametrize(
    "template",
    ["http://127.0.0.1:{port}/", "http://2130706433:{port}/", "http://0x7f.1:{port}/",
     "http://127.1:{port}/", "http://localhost:{port}/", "http://[::ffff:127.0.0.1]:{port}/"],
)
async def test_loopback_site_is_unreachable_without_the_allow_list(
    template: str, site: FakeSite, make_fetcher: FetcherFactory
) -> None:
    site.page("/", HTML)
    fetcher = make_fetcher(fetch_allow_private_hosts=[])
    with pytest.raises(BlockedAddress):
        await fetcher.fetch(template.format(port=site.port))
    assert site.history == []


async def test_dns_rebinding_is_caught_at_connect_time(
    site: FakeSite, make_fetcher: FetcherFactory
) -> None:
    site.page("/", HTML)
    # Public for the early check, loopback (our site) for the connection.
    dns = FakeDNS().add("rebind.example", ["93.184.216.34"], ["127.0.0.1"])
    fetcher = make_fetcher(fetch_allow_private_hosts=[], resolver=dns)
    with pytest.raises(BlockedAddress):
        await fetcher.fetch(f"http://rebind.example:{site.port}/")
    assert site.history == []
    assert len(dns.history) == 2


async def test_connects_to_the_resolved_address_with_the_original_host_header(
    site: FakeSite, make_fetcher: FetcherFactory
) -> None:
    site.page("/story", HTML)
    dns = FakeDNS().add("news.example", ["127.0.0.1"])
    fetcher = make_fetcher(fetch_allow_private_hosts=["news.example"], resolver=dns)
    page = await fetcher.fetch(f"http://news.example:{site.port}/story")
    assert page.text == HTML
    assert site.history[0].headers["Host"] == f"news.example:{site.port}"


@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/", "http://[::1]:{other}/", "http://127.0.0.1:{other}/",
     "http://0x7f.1:{other}/", "http://evil.example/"],
)
async def test_redirect_to_a_private_address_is_refused(
    target: str, site: FakeSite, make_fetcher: FetcherFactory
) -> None:
    with FakeSite() as other:
        other.page("/", HTML)
        location = target.format(other=other.port)
        site.route("/go", Response(status=302, headers={"Location": location}))
        fetcher = make_fetcher(resolver=_evil_dns())  # only `site` is allowed
        with pytest.raises(BlockedAddress):
            await fetcher.fetch(site.url("/go"))
        assert other.history == []


# --- redirects -------------------------------------------------------------------------------


async def test_relative_redirects_are_followed(site: FakeSite, fetcher: Fetcher) -> None:
    site.route("/old", Response(status=301, headers={"Location": "/mid?x=1"}))
    site.route("/mid", Response(status=308, headers={"Location": "new#top"}))
    site.page("/new", HTML)
    page = await fetcher.fetch(site.url("/old"))
    assert page.url == site.url("/old")
    assert page.final_url == site.url("/new")
    assert page.text == HTML


async def test_five_redirects_are_followed_and_the_sixth_is_not(
    site: FakeSite, fetcher: Fetcher
) -> None:
    for i in range(6):
        site.route(f"/r{i}", Response(status=302, headers={"Location": f"/r{i + 1}"}))
    site.page("/r6", HTML)
    assert (await fetcher.fetch(site.url("/r1"))).final_url == site.url("/r6")
    with pytest.raises(TooManyRedirects):
        await fetcher.fetch(site.url("/r0"))
    assert len(site.requests_to("/r6")) == 1  # only by the first fetch


async def test_redirect_loop(site: FakeSite, fetcher: Fetcher) -> None:
    site.route("/a", Response(status=302, headers={"Location": "/b"}))
    site.route("/b", Response(status=307, headers={"Location": "/a"}))
    with pytest.raises(TooManyRedirects):
        await fetcher.fetch(site.url("/a"))
    assert len(site.history) == 6


async def test_redirect_to_another_scheme_is_a_fetch_error(
    site: FakeSite, fetcher: Fetcher
) -> None:
    site.route("/ftp", Response(status=302, headers={"Location": "ftp://example.com/x"}))
    with pytest.raises(FetchError, match="ftp") as info:
        await fetcher.fetch(site.url("/ftp"))
    assert not isinstance(info.value, InvalidURL)  # the user's link was fine


async def test_cookie_wall_redirect_works_and_cookies_stay_in_one_fetch(
    site: FakeSite, fetcher: Fetcher
) -> None:
    def article(req: Request) -> Response:
        if "consent=yes" in req.headers.get("Cookie", ""):
            return Response(body=HTML)
        return Response(status=302, headers={"Location": "/consent"})

    site.route("/article", article)
    site.route("/consent", Response(
        status=302, headers={"Location": "/article", "Set-Cookie": "consent=yes; Path=/"}
    ))
    assert (await fetcher.fetch(site.url("/article"))).text == HTML
    site.history.clear()
    await fetcher.fetch(site.url("/article"))  # a new fetch starts without cookies
    assert "Cookie" not in site.history[0].headers


# --- content types ---------------------------------------------------------------------------


async def test_non_html_is_refused_and_named(site: FakeSite, fetcher: Fetcher) -> None:
    site.route("/data.json", Response(body='{"a": 1}', content_type="application/json"))
    site.route("/photo.png", Response(body=b"\x89PNG\r\n", content_type="image/png"))
    with pytest.raises(NotHTML, match="application/json"):
        await fetcher.fetch(site.url("/data.json"))
    with pytest.raises(NotHTML, match="image/png"):
        await fetcher.fetch(site.url("/photo.png"))


async def test_missing_content_type_is_sniffed(site: FakeSite, fetcher: Fetcher) -> None:
    site.route("/untyped", Response(body="\n  <!DOCTYPE html>" + HTML[15:], content_type=""))
    site.route("/blob", Response(body=b"\x00\x01binary", content_type="application/octet-stream"))
    page = await fetcher.fetch(site.url("/untyped"))
    assert page.content_type == "text/html"
    with pytest.raises(NotHTML, match="application/octet-stream"):
        await fetcher.fetch(site.url("/blob"))


async def test_feeds_use_feed_types(site: FakeSite, fetcher: Fetcher) -> None:
    rss = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel/></rss>'
    site.route("/rss", Response(body=rss, content_type="application/rss+xml; charset=utf-8"))
    site.route("/untyped-rss", Response(body=rss, content_type=""))
    page = await fetcher.fetch(site.url("/rss"), accept=FEED_TYPES)
    assert (page.text, page.content_type) == (rss, "application/rss+xml")
    assert (await fetcher.fetch(site.url("/untyped-rss"), accept=FEED_TYPES)).text == rss
    site.page("/html", HTML)
    with pytest.raises(NotHTML, match="text/html"):
        await fetcher.fetch(site.url("/html"), accept=FEED_TYPES)


async def test_conditional_get_returns_not_modified(site: FakeSite, fetcher: Fetcher) -> None:
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"

    def feed(req: Request) -> Response:
        if req.headers.get("If-None-Match") == '"v7"':
            return Response(status=304, content_type="", headers={"ETag": '"v7"'})
        return Response(body="<rss/>", content_type="application/rss+xml",
                        headers={"ETag": '"v7"', "Last-Modified": stamp})

    url = site.route("/feed", feed)
    first = await fetcher.fetch(url, accept=FEED_TYPES)
    assert (first.etag, first.last_modified, first.not_modified) == ('"v7"', stamp, False)
    again = await fetcher.fetch(url, accept=FEED_TYPES, etag=first.etag,
                                last_modified=first.last_modified)
    assert again.not_modified and again.status_code == 304 and again.text == ""
    assert again.etag == '"v7"' and again.last_modified == stamp
    assert site.history[1].headers["If-Modified-Since"] == stamp


# --- charsets --------------------------------------------------------------------------------


def _doc(text: str, head: str = "") -> str:
    return f"<html><head>{head}<title>t</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (_doc(RUSSIAN).encode("cp1251"), "text/html; charset=windows-1251", RUSSIAN),
        (_doc(RUSSIAN).encode("cp1251"), 'text/html; charset="Windows-1251"', RUSSIAN),
        (_doc(RUSSIAN, '<meta charset="windows-1251">').encode("cp1251"), "text/html", RUSSIAN),
        (_doc(RUSSIAN, '<meta http-equiv="Content-Type" content="text/html; charset=cp1251">')
         .encode("cp1251"), "text/html", RUSSIAN),
        (_doc(JAPANESE).encode("shift_jis"), "text/html", JAPANESE),  # undeclared
        (_doc(JAPANESE, "<meta charset=Shift_JIS>").encode("cp932"), "text/html", JAPANESE),
        (_doc("Café “déjà vu” — naïve").encode("cp1252"), "text/html; charset=iso-8859-1",
         "Café “déjà vu” — naïve"),
        (_doc("Ünïcödé").encode("iso-8859-1"), "text/html; charset=ISO-8859-1", "Ünïcödé"),
        (b"\xef\xbb\xbf" + _doc("Привет, мир").encode(), "text/html; charset=iso-8859-1",
         "Привет, мир"),  # the byte-order mark wins
        (_doc("日本語").encode(), "text/html", "日本語"),  # undeclared UTF-8
        (_doc(RUSSIAN).encode(), "text/html; charset=bogus-charset", RUSSIAN),
    ],
)
async def test_charsets_decode_right(
    body: bytes, content_type: str, expected: str, site: FakeSite, fetcher: Fetcher
) -> None:
    site.route("/page", Response(body=body, content_type=content_type))
    page = await fetcher.fetch(site.url("/page"))
    assert expected in page.text


def test_decode_html_reads_the_xml_declaration() -> None:
    xml = '<?xml version="1.0" encoding="windows-1251"?><rss><title>Новости</title></rss>'
    assert "Новости" in decode_html(xml.encode("cp1251"))


# --- size limits -----------------------------------------------------------------------------


async def test_big_content_length_is_refused_up_front(
    site: FakeSite, make_fetcher: FetcherFactory
) -> None:
    site.route("/big", Response(body=b"x" * 200_000))
    fetcher = make_fetcher(fetch_max_bytes=100_000)
    with pytest.raises(TooLarge, match="200000"):
        await fetcher.fetch(site.url("/big"))


async def test_endless_chunked_stream_is_cut_at_the_limit(
    site: FakeSite, make_fetcher: FetcherFactory
) -> None:
    # No Content-Length and no end: only the byte limit can stop this (not the timeout).
    site.route("/endless", Response(body=itertools.repeat(b"<p>news</p>" * 100)))
    fetcher = make_fetcher(fetch_max_bytes=50_000, fetch_timeout=10.0)
    with pytest.raises(TooLarge):
        await fetcher.fetch(site.url("/endless"))


async def test_gzip_bomb_is_refused(site: FakeSite, make_fetcher: FetcherFactory) -> None:
    bomb = gzip.compress(b"\0" * (16 * 1024 * 1024))
    assert len(bomb) < 100_000
    site.route("/bomb", Response(body=bomb, headers={"Content-Encoding": "gzip"}))
    fetcher = make_fetcher(fetch_max_bytes=1_000_000)
    with pytest.raises(TooLarge, match="decompressed"):
        await fetcher.fetch(site.url("/bomb"))


async def test_page_at_the_limit_is_fine(site: FakeSite, make_fetcher: FetcherFactory) -> None:
    body = HTML + " " * (2_000 - len(HTML))
    site.route("/exact", Response(body=body, gzip=True))
    assert (await make_fetcher(fetch_max_bytes=2_000).fetch(site.url("/exact"))).text == body


# --- time limits -----------------------------------------------------------------------------


async def test_slow_server_times_out(site: FakeSite, make_fetcher: FetcherFactory) -> None:
    site.route("/slow", Response(body=HTML, delay=3.0))
    with pytest.raises(FetchTimeout):
        await make_fetcher(fetch_timeout=0.5).fetch(site.url("/slow"))


async def test_slow_drip_is_held_to_the_total_budget(
    site: FakeSite, make_fetcher: FetcherFactory
) -> None:
    # Every chunk arrives quickly, so only a total (not per-read) budget stops it.
    site.route("/drip", Response(body=itertools.repeat(b"<p>.</p>"), chunk_delay=0.02))
    with pytest.raises(FetchTimeout):
        await make_fetcher(fetch_timeout=0.5).fetch(site.url("/drip"))


# --- retries ---------------------------------------------------------------------------------


def _sequence(*responses: Response) -> Callable[[Request], Response]:
    """A handler that answers with `responses` in turn, repeating the last one."""
    queue = list(responses)
    return lambda _req: queue.pop(0) if len(queue) > 1 else queue[0]


async def test_server_error_then_success_is_retried(site: FakeSite, fetcher: Fetcher) -> None:
    site.route("/flaky", _sequence(Response(body="oops", status=500), Response(body=HTML)))
    assert (await fetcher.fetch(site.url("/flaky"))).text == HTML
    assert len(site.requests_to("/flaky")) == 2


async def test_429_retry_after_is_honoured(site: FakeSite, fetcher: Fetcher) -> None:
    site.route("/limited", _sequence(
        Response(body="slow down", status=429, headers={"Retry-After": "1"}), Response(body=HTML)
    ))
    assert (await fetcher.fetch(site.url("/limited"))).text == HTML
    assert len(site.requests_to("/limited")) == 2


async def test_retry_after_beyond_the_budget_gives_up_at_once(
    site: FakeSite, fetcher: Fetcher
) -> None:
    site.route("/later", Response(status=429, headers={"Retry-After": "3600"}))
    with pytest.raises(HTTPStatusError) as info:
        await fetcher.fetch(site.url("/later"))
    assert info.value.status_code == 429
    assert len(site.requests_to("/later")) == 1


async def test_503_with_an_http_date_beyond_the_budget_gives_up_at_once(
    site: FakeSite, fetcher: Fetcher
) -> None:
    back = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    site.route("/maintenance", Response(status=503, headers={"Retry-After": back}))
    with pytest.raises(HTTPStatusError) as info:
        await fetcher.fetch(site.url("/maintenance"))
    assert info.value.status_code == 503
    assert len(site.requests_to("/maintenance")) == 1  # not three quick tries in a row


async def test_persistent_server_error_stops_after_three_attempts(
    site: FakeSite, fetcher: Fetcher
) -> None:
    site.route("/down", Response(body="down", status=503))
    with pytest.raises(HTTPStatusError, match="503") as info:
        await fetcher.fetch(site.url("/down"))
    assert info.value.status_code == 503
    assert len(site.requests_to("/down")) == 3


@pytest.mark.parametrize("status", [404, 403, 410, 501])
async def test_permanent_errors_are_not_retried(
    status: int, site: FakeSite, fetcher: Fetcher
) -> None:
    site.route("/gone", Response(body="no", status=status))
    with pytest.raises(HTTPStatusError, match=str(status)) as info:
        await fetcher.fetch(site.url("/gone"))
    assert info.value.status_code == status
    assert len(site.history) == 1


async def test_refused_connection_is_retried_then_reported(
    make_fetcher: FetcherFactory,
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dns = FakeDNS().add("down.example", ["127.0.0.1"])
    fetcher = make_fetcher(fetch_allow_private_hosts=["down.example"], resolver=dns)
    with pytest.raises(FetchError, match=r"down\.example") as info:
        await fetcher.fetch(f"http://down.example:{port}/")
    assert not isinstance(info.value, (BlockedAddress, HTTPStatusError, FetchTimeout))
    assert len(dns.history) == 4  # the early check, then one lookup per connection attempt
