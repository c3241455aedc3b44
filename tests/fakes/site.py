"""A real HTTP server on loopback that serves whatever a test registers.

Used as the "small news site" (pages, feeds, redirects, slow and broken answers). It is a
`LoopbackServer` (tests/fakes/server.py); every request is recorded in `history` so tests
can assert on what the product asked for.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from tests.fakes.server import LoopbackServer, QuietHandler


@dataclass
class Response:
    body: bytes | str | Iterable[bytes] = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line is sent
    gzip: bool = False  # send Content-Encoding: gzip
    chunk_delay: float = 0.0  # seconds between body chunks (slow drip)


@dataclass
class Request:
    method: str
    path: str  # includes the query string
    headers: dict[str, str]
    body: bytes


Handler = Callable[[Request], Response]


class FakeSite(LoopbackServer):
    """`site.route("/a", Response(...))`, then GET `site.url("/a")`."""

    def __init__(self) -> None:
        self.routes: dict[str, Response | Handler] = {}
        self.history: list[Request] = []
        super().__init__()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # -- routes ------------------------------------------------------------------
    def route(self, path: str, response: Response | Handler) -> str:
        """Serve `response` at `path` (exact match, or path without query); return its URL."""
        self.routes[path] = response
        return self.url(path)

    def page(self, path: str, html: str, **kw: object) -> str:
        return self.route(path, Response(body=html, **kw))  # type: ignore[arg-type]

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.history if urlsplit(r.path).path == path or r.path == path]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class _H(QuietHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                req = Request(
                    self.command, self.path, dict(self.headers.items()),
                    self.rfile.read(length) if length else b"",
                )
                site.history.append(req)
                target = site.routes.get(self.path) or site.routes.get(urlsplit(self.path).path)
                if target is None:
                    resp = Response(body="not found", status=404, content_type="text/plain")
                elif callable(target):
                    resp = target(req)
                else:
                    resp = target
                site.pause(resp.delay)
                # The client may give up (size or time limit): that is the point.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._write(resp)

            def _write(self, resp: Response) -> None:
                self.send_response(resp.status)
                if resp.content_type:
                    self.send_header("Content-Type", resp.content_type)
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                body = resp.body
                if isinstance(body, (bytes, str)):
                    data = body.encode() if isinstance(body, str) else body
                    if resp.gzip:
                        data = gzip.compress(data)
                        self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                    return
                # An iterable body is streamed chunked (no Content-Length), like a server
                # that doesn't say how much is coming.
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in body:
                    site.pause(resp.chunk_delay)
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = do_HEAD = _serve

        return _H


class FakeDNS:
    """A resolver for `Fetcher(resolver=...)` / `resolve_checked(resolver=...)`.

    `dns.add("news.example", ["127.0.0.1"])` answers every lookup of that name the same
    way; `dns.add("rebind.example", ["93.184.216.34"], ["127.0.0.1"])` gives one answer per
    lookup, the last one repeating (a rebinding server). Unknown names fail like real DNS.
    Every lookup is recorded in `history`.
    """

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.history: list[tuple[str, int]] = []

    def add(self, name: str, *answers: list[str]) -> FakeDNS:
        self.answers[name] = [list(a) for a in answers]
        return self

    async def __call__(self, host: str, port: int) -> list[str]:
        self.history.append((host, port))
        queued = self.answers.get(host)
        if not queued:
            raise socket.gaierror(socket.EAI_NONAME, f"fake DNS knows no {host!r}")
        return queued.pop(0) if len(queued) > 1 else list(queued[0])
