"""`GoogleNewsDecoder`: a Google News token link → the publisher's article URL.

Google News RSS links are opaque (`news.google.com/rss/articles/CBMi…`). Google's own page
resolves one in two requests, and so does this, through the same safe `Fetcher` as every
other request (SSRF guard, size and time limits):

1. GET `{GOOGLE_NEWS_URL}/rss/articles/<id>` and read the `data-n-a-sg` (signature) and
   `data-n-a-ts` (timestamp) attributes of the article's `<c-wiz><div jscontroller …>`;
2. POST them to `{GOOGLE_NEWS_URL}/_/DotsSplashUi/data/batchexecute` as the `garturlreq`
   of rpc `Fbv4je`; the answer (`)]}'`, then JSON rows) holds `["garturlres", "<url>", …]`.

Tokens from before mid-2024 (`CBMi…` with the URL inside the base64) decode offline. Google
rate-limits the endpoint and changes it now and then, so decodes are paced (at most one per
`interval` seconds), answers are read leniently, successes are cached, and a failure is
remembered for `FAILURE_TTL` and answered with None: the caller falls back to the feed's lead.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from aiolimiter import AsyncLimiter

from bot.article import Page
from bot.coordination.flight import SingleFlight
from bot.errors import InvalidURL, NewsbotError
from bot.fetch import HTML_TYPES
from bot.news.item import GOOGLE_TOKEN_HOSTS
from bot.urls import parse_http_url

log = logging.getLogger(__name__)

GOOGLE_NEWS_URL = "https://news.google.com"
BATCHEXECUTE_PATH = "/_/DotsSplashUi/data/batchexecute"
RPC_ID = "Fbv4je"
DECODE_INTERVAL = 1.0  # seconds between two decodes (a GET and a POST to Google)
CACHE_SIZE = 4096
FAILURE_TTL = 15 * 60.0  # seconds a failed token is not asked about again
# Google serves the article page with its attributes to plain HTTP clients and a script-only
# interstitial to unknown browsers; a plain agent gets the page.
USER_AGENT = "newsbot/0.1 (+https://github.com/newsbot)"
_ANSWER_TYPES = frozenset({"application/json", "text/plain", "application/x-protobuf",
                           "text/javascript", "application/javascript"})
_ARTICLE_PATH = re.compile(r"/(?:rss/)?(?:articles|read)/([A-Za-z0-9_-]+)")
_ATTRIBUTE = r"""\b{name}\s*=\s*(?:"([^"]*)"|'([^']*)')"""
_SIGNATURE = re.compile(_ATTRIBUTE.format(name="data-n-a-sg"))
_TIMESTAMP = re.compile(_ATTRIBUTE.format(name="data-n-a-ts"))
_XSSI = ")]}'"
_GARTURLRES = re.compile(r'garturlres\\*",\\*"(https?:[^"\\]+)')


class DecoderFetcher(Protocol):
    """The slice of `bot.fetch.Fetcher` the decoder uses."""

    async def fetch(
        self, url: str, *, accept: Collection[str] = ..., etag: str | None = None,
        last_modified: str | None = None, headers: Mapping[str, str] | None = None,
    ) -> Page: ...

    async def post_form(
        self, url: str, form: Mapping[str, str], *, accept: Collection[str] = ...,
        headers: Mapping[str, str] | None = None,
    ) -> Page: ...


class DecodeError(NewsbotError):
    """Google's answer had no publisher URL in it."""


def article_id(url: str) -> str | None:
    """The token of a `news.google.com/(rss/)articles/<id>` link, else None."""
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in GOOGLE_TOKEN_HOSTS:
        return None
    match = _ARTICLE_PATH.search(parts.path)
    return match.group(1) if match else None


def offline_url(token: str) -> str | None:
    """The publisher URL inside an old-style token (`CBMi` + base64 of a protobuf), if any."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    # Field 4 (0x22) is a length-prefixed string; since 2024 it holds `AU_yqL…`, not a URL.
    if len(raw) < 3 or raw[:2] != b"\x08\x13" or raw[2] != 0x22:
        return None
    length, pos = _varint(raw, 3)
    candidate = raw[pos : pos + length]
    if not candidate.startswith((b"http://", b"https://")):
        return None
    try:
        return parse_http_url(candidate.decode("ascii"))
    except (UnicodeDecodeError, InvalidURL):
        return None


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    return value, pos


def signature_of(page_html: str) -> tuple[str, str] | None:
    """(`data-n-a-sg`, `data-n-a-ts`) from Google's article page, else None."""
    sg = _SIGNATURE.search(page_html)
    ts = _TIMESTAMP.search(page_html)
    if not sg or not ts:
        return None
    return (sg.group(1) or sg.group(2) or ""), (ts.group(1) or ts.group(2) or "")


def batchexecute_form(token: str, timestamp: str, signature: str) -> dict[str, str]:
    """The `f.req` form of one `garturlreq`, as Google's page sends it."""
    context: list[Any] = [
        ["X", "X", ["X", "X"], None, None, 1, 1, "US:en", None, 1, None, None, None, None,
         None, 0, 1],
        "X", "X", 1, [1, 1, 1], 1, 1, None, 0, 0, None, 0,
    ]
    ts: int | str = int(timestamp) if timestamp.isdigit() else timestamp
    inner = json.dumps(["garturlreq", context, token, ts, signature], separators=(",", ":"))
    return {"f.req": json.dumps([[[RPC_ID, inner, None, "generic"]]], separators=(",", ":"))}


def url_from_answer(text: str) -> str | None:
    """The publisher URL in a batchexecute answer, read leniently; None when there is none.

    The answer is `)]}'`, a blank line, then either one JSON array of rows or (with
    `rt=c`) rows in length-prefixed chunks; the row `["wrb.fr", "Fbv4je", "<json>", …]`
    carries `["garturlres", "<url>", …]` as a JSON string.
    """
    body = text.strip()
    if body.startswith(_XSSI):
        body = body[len(_XSSI):]
    for row in _rows(body):
        if not (isinstance(row, list) and len(row) >= 3 and row[0] == "wrb.fr"):
            continue
        payload = row[2]
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except json.JSONDecodeError:
                continue
        if (isinstance(payload, list) and len(payload) >= 2 and payload[0] == "garturlres"
                and isinstance(payload[1], str)):
            return _checked(payload[1])
    match = _GARTURLRES.search(text)  # a shape we don't know yet: the URL is still there
    return _checked(match.group(1)) if match else None


def _rows(body: str) -> list[Any]:
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        data = None
    if isinstance(data, list):
        return data
    rows: list[Any] = []  # length-prefixed chunks: "123\n[[...]]\n57\n[[...]]"
    decoder = json.JSONDecoder()
    pos = 0
    while pos < len(body):
        start = body.find("[", pos)
        if start < 0:
            break
        try:
            chunk, end = decoder.raw_decode(body, start)
        except json.JSONDecodeError:
            break
        if isinstance(chunk, list):
            rows.extend(chunk)
        pos = end
    return rows


def _checked(url: str) -> str | None:
    try:
        return parse_http_url(url)
    except InvalidURL:
        return None


class GoogleNewsDecoder:
    """Resolve Google News token links; one per process, shared by every digest."""

    def __init__(
        self,
        fetcher: DecoderFetcher,
        *,
        base_url: str = GOOGLE_NEWS_URL,
        limiter: AsyncLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetcher = fetcher
        self.base_url = base_url.rstrip("/")
        self._limiter = limiter or AsyncLimiter(1, DECODE_INTERVAL)
        self._clock = clock
        self._found: OrderedDict[str, str] = OrderedDict()
        self._failed: dict[str, float] = {}
        self._flights: SingleFlight[str | None] = SingleFlight()
        self.requests = 0  # decodes that went to Google (not cached, not offline)

    async def resolve(self, url: str) -> str | None:
        """The publisher URL behind `url`, `url` itself when it is no token, or None."""
        token = article_id(url)
        if token is None:
            return url
        if token in self._found:
            self._found.move_to_end(token)
            return self._found[token]
        offline = offline_url(token)
        if offline is not None:
            return self._remember(token, offline)
        failed_at = self._failed.get(token)
        if failed_at is not None and self._clock() - failed_at < FAILURE_TTL:
            return None
        # Two stories sharing one token ask Google once.
        return await self._flights.run(token, lambda: self._decode(token, url))

    async def _decode(self, token: str, url: str) -> str | None:
        await self._limiter.acquire()  # one request per interval, callers in order
        self.requests += 1
        try:
            found = await self._ask_google(token, url)
        except NewsbotError as exc:
            log.info("could not decode Google News link %s: %s", token[:24], exc)
            self._failed[token] = self._clock()
            return None
        return self._remember(token, found)

    async def _ask_google(self, token: str, url: str) -> str:
        locale = urlsplit(url).query
        page_url = f"{self.base_url}/rss/articles/{quote(token)}"
        if locale:
            page_url += f"?{locale}"
        headers = {"User-Agent": USER_AGENT}
        page = await self._fetcher.fetch(page_url, accept=HTML_TYPES, headers=headers)
        params = signature_of(page.text)
        if params is None:
            raise DecodeError("the article page has no data-n-a-sg / data-n-a-ts")
        signature, timestamp = params
        answer = await self._fetcher.post_form(
            f"{self.base_url}{BATCHEXECUTE_PATH}?rpcids={RPC_ID}",
            batchexecute_form(token, timestamp, signature),
            accept=_ANSWER_TYPES,
            headers={**headers, "Referer": f"{self.base_url}/"},
        )
        found = url_from_answer(answer.text)
        if found is None or article_id(found) is not None:
            raise DecodeError("the batchexecute answer has no publisher URL")
        return found

    def _remember(self, token: str, found: str) -> str:
        self._found[token] = found
        self._failed.pop(token, None)
        while len(self._found) > CACHE_SIZE:
            self._found.popitem(last=False)
        return found
