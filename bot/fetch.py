"""The only way newsbot GETs a page or a feed: SSRF guard, limits, charsets, retries.

One `Fetcher` (one httpx client, one connection pool) is shared by every handler. A fetch
follows at most five redirects by hand so every hop is checked by the SSRF guard (see
`bot.netguard`), keeps its cookies to itself (consent walls that set a cookie and redirect
back work; nothing leaks between users), and holds the whole thing — redirects, retries and
their waits, the body — to one wall-clock budget, FETCH_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import logging
import re
import zlib
from collections.abc import Callable, Collection, Mapping
from http.cookiejar import DefaultCookiePolicy
from types import TracebackType
from typing import Self, TypeVar
from urllib.parse import urlencode, urljoin

import httpx

from bot import metrics
from bot.article import Page
from bot.charsets import bom_codec, codec_for_label, detect
from bot.config import Settings
from bot.errors import (
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    InvalidURL,
    NewsbotError,
    NotHTML,
    TooLarge,
    TooManyRedirects,
)
from bot.netguard import Resolver, guarded_transport, resolve_checked
from bot.retries import MAX_RETRY_AFTER, RetryPolicy, retry_after_header
from bot.urls import host_and_port, parse_http_url

log = logging.getLogger(__name__)
T = TypeVar("T")

HTML_TYPES: frozenset[str] = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES: frozenset[str] = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
    "text/xml", "application/x-rss+xml", "application/json", "application/feed+json",
    "text/plain",
})

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# 501 and 505 say "this server will never do that": retrying cannot help.
_PERMANENT_5XX = frozenset({501, 505})
# Servers that don't know what they send; the body is sniffed instead.
_UNKNOWN_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
# Only encodings whose decompression we can bound are offered (no br/zstd).
ACCEPT_ENCODING = "gzip, deflate"
_PRESCAN_BYTES = 8192  # where <meta charset> must be; WHATWG scans 1024, real pages go later


class Fetcher:
    """GET http(s) resources safely; one instance per process, closed on shutdown."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self._timeout = settings.fetch_timeout
        self._max_bytes = settings.fetch_max_bytes
        self._allow = tuple(settings.fetch_allow_private_hosts)
        self._resolver = resolver
        self._client = httpx.AsyncClient(
            transport=transport or guarded_transport(allow=self._allow, resolver=resolver),
            follow_redirects=False,  # each hop goes through the SSRF check in `_follow`
            timeout=settings.fetch_timeout,
            headers={"User-Agent": settings.fetch_user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            trust_env=False,  # an env proxy would connect for us and bypass the guard
        )
        # The client's own jar refuses everything: cookies live in one fetch's jar only, so
        # nothing one user's link sets is sent along with another user's.
        self._client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    async def fetch(
        self,
        url: str,
        *,
        accept: Collection[str] = HTML_TYPES,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Page:
        """GET `url` and return it decoded; `Page.not_modified` is True on a 304.

        Raises InvalidURL, BlockedAddress, HTTPStatusError, FetchTimeout, TooLarge, NotHTML,
        TooManyRedirects or FetchError.
        """
        return await self._request(
            "GET", url, accept=accept, etag=etag, last_modified=last_modified, extra=headers
        )

    async def read(
        self,
        url: str,
        parse: Callable[[Page], T],
        *,
        accept: Collection[str] = HTML_TYPES,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        """Fetch `url` and return `parse(page)`, run in a thread; both within FETCH_TIMEOUT.

        Parsing a page or a feed (lxml, trafilatura, feedparser) is CPU work that would
        stall every other user if it ran on the event loop; it counts against the same
        wall-clock budget as the download. Raises what `fetch` raises, FetchTimeout when
        the budget runs out while parsing, and whatever `parse` raises.
        """
        deadline = asyncio.get_running_loop().time() + self._timeout
        page = await self._request(
            "GET", url, accept=accept, etag=etag, last_modified=last_modified, extra=headers,
            deadline=deadline,
        )
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.to_thread(parse, page)
        except TimeoutError as exc:
            raise FetchTimeout(
                f"{page.final_url} could not be read within {self._timeout:g} s"
            ) from exc

    async def post_form(
        self,
        url: str,
        form: Mapping[str, str],
        *,
        accept: Collection[str] = FEED_TYPES,
        headers: Mapping[str, str] | None = None,
    ) -> Page:
        """POST `form` url-encoded to `url`, with the same guard, limits and errors as GET.

        For the few APIs that only answer a POST (Google News's link decoder); a redirect
        is followed with a GET, as browsers do.
        """
        body = urlencode(dict(form)).encode()
        extra = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
                 **(headers or {})}
        return await self._request("POST", url, accept=accept, extra=extra, body=body)

    async def _request(
        self,
        method: str,
        url: str,
        *,
        accept: Collection[str],
        etag: str | None = None,
        last_modified: str | None = None,
        extra: Mapping[str, str] | None = None,
        body: bytes | None = None,
        deadline: float | None = None,
    ) -> Page:
        start = parse_http_url(url)
        # Browser-like: the first listed type is the one wanted most (text/html for pages).
        wanted = sorted(accept, key=lambda t: (t != "text/html", t))
        headers = {"Accept": ", ".join(wanted) + ", */*;q=0.8", **(extra or {})}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if deadline is None:
            deadline = asyncio.get_running_loop().time() + self._timeout
        try:
            async with asyncio.timeout_at(deadline):
                return await self._follow(
                    start, headers, frozenset(accept), deadline, method=method, body=body
                )
        except TimeoutError as exc:
            metrics.FETCH_FAILURES.labels("fetch_timeout").inc()
            raise FetchTimeout(
                f"{start} did not answer completely within {self._timeout:g} s"
            ) from exc
        except NewsbotError as exc:
            metrics.fetch_failed(exc)
            raise

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- one fetch -------------------------------------------------------------------------

    async def _follow(
        self, start: str, headers: dict[str, str], accept: frozenset[str], deadline: float,
        *, method: str = "GET", body: bytes | None = None,
    ) -> Page:
        jar = httpx.Cookies()
        current = start
        for _hop in range(MAX_REDIRECTS + 1):
            response = await self._get(current, headers, jar, deadline, method=method, body=body)
            try:
                jar.extract_cookies(response)
                status = response.status_code
                if status in REDIRECT_STATUSES:
                    current = _redirect_target(current, response)
                    if status not in (307, 308):  # browsers turn a redirected POST into a GET
                        method, body = "GET", None
                        headers.pop("Content-Type", None)
                    continue
                if status == 304:
                    return Page(
                        url=start, final_url=current, text="", status_code=304,
                        content_type=_media_type(response.headers.get("content-type")),
                        etag=response.headers.get("etag") or headers.get("If-None-Match"),
                        last_modified=response.headers.get("last-modified")
                        or headers.get("If-Modified-Since"),
                        not_modified=True,
                    )
                if not 200 <= status < 300:
                    raise HTTPStatusError(f"HTTP {status} from {current}", status)
                return await self._read_page(start, current, response, accept)
            finally:
                await response.aclose()
        raise TooManyRedirects(f"{start} redirects more than {MAX_REDIRECTS} times")

    async def _get(
        self, url: str, headers: dict[str, str], jar: httpx.Cookies, deadline: float,
        *, method: str = "GET", body: bytes | None = None,
    ) -> httpx.Response:
        """Send one request (retrying transient failures) and return the streaming response."""
        host, port = host_and_port(url)
        # Refuse before anything is sent; the connection itself is checked again in netguard.
        await resolve_checked(host, port, allow=self._allow, resolver=self._resolver)
        async for attempt in FETCH_RETRIES.retrying(deadline=deadline):
            with attempt:
                return await self._send(url, headers, jar, method=method, body=body)
        raise AssertionError("unreachable: tenacity returns or re-raises")  # pragma: no cover

    async def _send(
        self, url: str, headers: dict[str, str], jar: httpx.Cookies,
        *, method: str = "GET", body: bytes | None = None,
    ) -> httpx.Response:
        request = self._client.build_request(method, url, headers=headers, content=body)
        jar.set_cookie_header(request)
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"{url} did not answer within {self._timeout:g} s") from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _NetworkError(f"cannot fetch {url}: {_describe(exc)}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch {url}: {_describe(exc)}") from exc
        status = response.status_code
        if status < 400:
            return response
        await response.aclose()
        message = f"HTTP {status} {response.reason_phrase} from {url}".replace("  ", " ")
        if status == 429 or (status >= 500 and status not in _PERMANENT_5XX):
            retry_after = retry_after_header(response.headers)
            raise _RetryableStatus(message, status, retry_after=retry_after)
        raise HTTPStatusError(message, status)

    async def _read_page(
        self, start: str, url: str, response: httpx.Response, accept: frozenset[str]
    ) -> Page:
        header_type = response.headers.get("content-type")
        media_type = _media_type(header_type)
        if media_type not in _UNKNOWN_TYPES and media_type not in accept:
            raise NotHTML(_wrong_type(media_type, accept, url))  # before downloading it
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self._max_bytes:
            raise TooLarge(f"{url} is {int(length)} bytes; the limit is FETCH_MAX_BYTES "
                           f"({self._max_bytes})")
        decoder = _BodyDecoder(response.headers.get("content-encoding", ""), self._max_bytes, url)
        raw = await self._read_raw(url, response)
        # Decompressing, sniffing and decoding megabytes is CPU work: done in a thread so the
        # event loop keeps answering other users; the await stays under the fetch's deadline.
        media_type, text = await asyncio.to_thread(
            _decode_body, raw, decoder, header_type, media_type, accept, url
        )
        return Page(
            url=start,
            final_url=url,
            text=text,
            status_code=response.status_code,
            content_type=media_type,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )

    async def _read_raw(self, url: str, response: httpx.Response) -> list[bytes]:
        """Stream the body as sent (still compressed), never holding more than the limit."""
        chunks: list[bytes] = []
        received = 0
        try:
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if received > self._max_bytes:
                    raise TooLarge(f"{url} sent more than FETCH_MAX_BYTES "
                                   f"({self._max_bytes}) bytes")
                chunks.append(chunk)
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"{url} stalled while sending the page") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{url} broke off while sending the page: {_describe(exc)}") from exc
        return chunks


def _decode_body(
    raw: list[bytes],
    decoder: _BodyDecoder,
    header_type: str | None,
    media_type: str,
    accept: frozenset[str],
    url: str,
) -> tuple[str, str]:
    """Undo Content-Encoding (bounded), sniff an unknown type, decode: (media type, text)."""
    for chunk in raw:
        decoder.feed(chunk)
    body = decoder.finish()
    if media_type in _UNKNOWN_TYPES:
        media_type = sniff_media_type(body)
        if media_type not in accept:
            raise NotHTML(_wrong_type(media_type, accept, url, sniffed=True))
    return media_type, decode_html(body, header_type)


# --- retries -------------------------------------------------------------------------------


class _RetryableStatus(HTTPStatusError):
    """A 429 or 5xx answer; callers see it as the HTTPStatusError it is once retries end."""

    def __init__(self, message: str, status_code: int, *, retry_after: float | None) -> None:
        super().__init__(message, status_code)
        self.retry_after = retry_after


class _NetworkError(FetchError):
    """Connection refused/reset or the server hung up: worth another attempt."""


FETCH_RETRIES = RetryPolicy(
    name="fetch",
    attempts=3,
    retry=lambda exc: isinstance(exc, _RetryableStatus | _NetworkError),
    backoff=0.25,  # then 0.5 s: a page someone is waiting for
    # Any Retry-After is honoured as asked; FETCH_TIMEOUT, the fetch's whole budget, is what
    # bounds it: a site asking for longer than is left is given up on at once.
    cap=MAX_RETRY_AFTER,
)


# --- redirects, content types --------------------------------------------------------------


def _redirect_target(current: str, response: httpx.Response) -> str:
    location = response.headers.get("location", "").strip()
    if not location:
        status = response.status_code
        raise HTTPStatusError(f"HTTP {status} redirect without a Location from {current}", status)
    try:
        return parse_http_url(urljoin(current, location))
    except InvalidURL as exc:
        # The user's link was fine; the site sent us somewhere we won't go.
        raise FetchError(f"{current} redirects to an unusable URL: {exc}") from exc


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _wrong_type(media_type: str, accept: frozenset[str], url: str, *, sniffed: bool = False) -> str:
    wanted = "HTML" if accept == HTML_TYPES else ", ".join(sorted(accept))
    how = "looks like" if sniffed else "is"
    return f"{url} {how} {media_type!r}, not {wanted}"


_HTML_START = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|title|meta|div|p|script|!--)[\s>/]", re.IGNORECASE
)
_XML_START = re.compile(rb"<(?:\?xml|rss|feed|rdf:rdf)[\s>]", re.IGNORECASE)


def sniff_media_type(body: bytes) -> str:
    """Guess the type of a body sent without a usable Content-Type (HTML, XML, JSON)."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n\f")
    if _HTML_START.match(head) or (head.startswith(b"<?xml") and _HTML_START.search(head)):
        return "text/html"
    if _XML_START.match(head):
        return "application/xml"
    if head[:1] in (b"{", b"["):
        return "application/json"
    return "application/octet-stream"


# --- content encoding ----------------------------------------------------------------------


class _Inflater:
    """Undo gzip or deflate chunk by chunk, raising TooLarge past `limit` output bytes."""

    def __init__(self, encoding: str, limit: int, url: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._limit = limit
        self._url = url
        self._produced = 0
        self._started = False
        self._obj = self._new()

    def _new(self, raw: bool = False) -> zlib._Decompress:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data:
            try:
                # One byte more than allowed is enough to know the limit is crossed; a
                # bomb never gets to expand in memory.
                chunk = self._obj.decompress(data, self._limit - self._produced + 1)
            except zlib.error as exc:
                if not self._gzip and not self._started:  # "deflate" sent without zlib header
                    self._obj = self._new(raw=True)
                    self._started = True
                    continue
                raise FetchError(f"{self._url} sent a corrupt compressed body") from exc
            self._started = True
            self._count(chunk)
            out.append(chunk)
            if self._obj.unconsumed_tail:
                data = self._obj.unconsumed_tail
            elif self._gzip and self._obj.eof and self._obj.unused_data:
                data = self._obj.unused_data  # several gzip members, one after another
                self._obj = self._new()
            else:
                data = b""
        return b"".join(out)

    def finish(self) -> bytes:
        rest = self._obj.flush()
        self._count(rest)
        return rest

    def _count(self, chunk: bytes) -> None:
        self._produced += len(chunk)
        if self._produced > self._limit:
            raise TooLarge(f"{self._url} is more than FETCH_MAX_BYTES ({self._limit}) bytes once "
                           "decompressed")


class _BodyDecoder:
    """The Content-Encoding chain of one response, innermost last."""

    def __init__(self, content_encoding: str, limit: int, url: str) -> None:
        names = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
        names = [e for e in names if e != "identity"]
        unknown = [e for e in names if e not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise FetchError(f"{url} uses an unsupported content encoding {unknown[0]!r}")
        # Applied in the reverse order of the header; each stage enforces the limit.
        self._stages = [_Inflater(name, limit, url) for name in reversed(names)]
        self._body = bytearray()

    def feed(self, data: bytes) -> None:
        for stage in self._stages:
            data = stage.feed(data)
        self._body += data

    def finish(self) -> bytes:
        tail = b""
        for stage in self._stages:  # what an outer stage still held goes through the inner
            tail = stage.feed(tail) + stage.finish()
        self._body += tail
        return bytes(self._body)


# --- charsets ------------------------------------------------------------------------------

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([^\"';\s]+)", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([a-zA-Z0-9_:.+-]+)", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([a-zA-Z0-9_:.+-]+)")


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode an HTML or XML document the way a browser picks its charset.

    Order: byte-order mark, the HTTP header's charset, `<meta charset>` / `http-equiv` (or
    the XML declaration) in the first bytes, valid UTF-8, then statistical detection. Only
    WHATWG labels are honoured (see `bot.charsets`); any other label is ignored. CPU-bound
    on big pages: async callers run it in a thread.
    """
    encoding = bom_codec(data)
    if encoding is None:
        header = _HEADER_CHARSET.search(content_type or "")
        encoding = codec_for_label(header.group(1)) if header else None
    if encoding is None:
        head = data[:_PRESCAN_BYTES]
        declared = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
        encoding = codec_for_label(declared.group(1).decode("ascii")) if declared else None
    if encoding is None:
        encoding = detect(data)
    return data.decode(encoding, errors="replace")


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
