"""A real HTTP server on loopback that serves whatever a test registers.

Used as the "small news site" (pages, feeds, redirects, slow and broken answers). It runs
in a thread so sync and async tests can both use it; every request is recorded in
`history` so tests can assert on what the product asked for.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


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


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up (a size or time limit doing its job) is not an error of
        # the fake; anything else still shows.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class FakeSite:
    """`site.route("/a", Response(...))`, then GET `site.url("/a")`."""

    def __init__(self) -> None:
        self.routes: dict[str, Response | Handler] = {}
        self.history: list[Request] = []
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval: `shutdown()` waits for the next poll, and the default
        # (0.5 s) would add half a second to every test that uses a site.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> FakeSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def host(self) -> str:
        """`127.0.0.1:PORT`, the form FETCH_ALLOW_PRIVATE_HOSTS takes."""
        return f"127.0.0.1:{self.port}"

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

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle on, the body waits for
            # the client's delayed ACK (~40 ms per request on Linux).
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

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
                if resp.delay:
                    time.sleep(resp.delay)
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
                    if resp.chunk_delay:
                        time.sleep(resp.chunk_delay)
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
