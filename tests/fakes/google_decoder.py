"""Google News's link decoding, served on a FakeSite the way news.google.com answers it.

Two endpoints, shaped like the real ones (as Google's own page and the googlenewsdecoder
package use them):

- `GET /rss/articles/<id>`: an HTML page whose `<c-wiz><div jscontroller …>` carries
  `data-n-a-id`, `data-n-a-sg` (a signature) and `data-n-a-ts` (a timestamp);
- `POST /_/DotsSplashUi/data/batchexecute?rpcids=Fbv4je`, form field `f.req` =
  `[[["Fbv4je", "<json of ['garturlreq', [context…], id, ts, sig]>", null, "generic"]]]`;
  the answer is `)]}'`, a blank line, and JSON rows:
  `[["wrb.fr","Fbv4je","[\\"garturlres\\",\\"<url>\\",1]",null,null,null,"generic"],
  ["di",…],["af.httprm",…]]`.

Like Google, the POST answers a row with a null payload (no URL) when the signature or
timestamp isn't the one the page gave for that id, and the page is a 404 for an unknown id.
`fail_pages` / `rate_limited` make either step fail the way Google does when it has had
enough (HTTP 429 on the page, or a `[["e",4,…]]` answer).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from html import escape
from urllib.parse import parse_qs, urlsplit

from tests.fakes.site import FakeSite, Request, Response

ARTICLE_PREFIX = "/rss/articles/"
BATCHEXECUTE = "/_/DotsSplashUi/data/batchexecute"


@dataclass
class FakeGoogleDecoder:
    site: FakeSite
    targets: dict[str, str] = field(default_factory=dict)  # article id → publisher URL
    fail_pages: set[str] = field(default_factory=set)  # ids whose page answers 429
    rate_limited: bool = False  # batchexecute answers Google's error row
    decoded: list[str] = field(default_factory=list)  # ids answered with a URL, in order

    @property
    def url(self) -> str:
        """GOOGLE_NEWS_URL for the bot."""
        return self.site.url("").rstrip("/")

    def add(self, article_id: str, target: str) -> None:
        self.targets[article_id] = target
        self.site.route(ARTICLE_PREFIX + article_id, self._page)

    @staticmethod
    def signature(article_id: str) -> tuple[str, str]:
        digest = hashlib.sha256(article_id.encode()).hexdigest()
        return "AZ5r3e" + digest[:40], str(1_733_000_000 + int(digest[:6], 16) % 100_000)

    def _page(self, req: Request) -> Response:
        article_id = urlsplit(req.path).path.removeprefix(ARTICLE_PREFIX)
        if article_id in self.fail_pages:
            return Response("Too Many Requests", status=429, content_type="text/html")
        sg, ts = self.signature(article_id)
        return Response(
            "<!doctype html><html lang=\"en-US\"><head><title>Google News</title></head><body>"
            '<c-wiz jsrenderer="AEOvef" jsshadow jsdata="deferred-i1" data-node-index="0;0">'
            f'<div jscontroller="aLI87" jsaction="rcuQ6b:npT2md" data-n-a-id="{escape(article_id)}"'
            f' data-n-a-sg="{sg}" data-n-a-ts="{ts}" data-n-vlb="0"></div></c-wiz>'
            "<script nonce=\"x\">window.WIZ_global_data = {};</script></body></html>"
        )

    def _batchexecute(self, req: Request) -> Response:
        if req.method != "POST":
            return Response("Method Not Allowed", status=405, content_type="text/html")
        if self.rate_limited:
            return _answer([["e", 4, None, None, 131]])
        form = parse_qs(req.body.decode())
        rows: list[list[object]] = []
        for envelope in json.loads(form["f.req"][0])[0]:
            rpc, inner_json = envelope[0], envelope[1]
            inner = json.loads(inner_json)
            url = None
            if rpc == "Fbv4je" and inner[0] == "garturlreq":
                article_id, ts, sg = inner[2], str(inner[3]), inner[4]
                if (sg, ts) == self.signature(article_id) and article_id in self.targets:
                    url = self.targets[article_id]
                    self.decoded.append(article_id)
            payload = json.dumps(["garturlres", url, 1]) if url else None
            rows.append(["wrb.fr", rpc, payload, None, None, None if url else [3], "generic"])
        return _answer([*rows, ["di", 27], ["af.httprm", 26, "-6420617585271356231", 3]])


def _answer(rows: list[list[object]]) -> Response:
    body = ")]}'\n\n" + json.dumps(rows, separators=(",", ":"))
    return Response(body, content_type="application/json; charset=utf-8")


def serve_google_decoder(site: FakeSite) -> FakeGoogleDecoder:
    fake = FakeGoogleDecoder(site)
    site.route(BATCHEXECUTE, fake._batchexecute)
    return fake
