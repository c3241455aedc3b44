"""`METRICS_PORT`: a small HTTP server with /healthz and /metrics, inside the bot's loop.

/healthz is 200 when the database answers a `SELECT 1` and the digest rounds are ticking
(the last tick is younger than `stale_after`), 503 otherwise, with a one-line JSON reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import Engine, text

from bot import metrics

log = logging.getLogger(__name__)

DB_TIMEOUT = 5.0  # seconds a health check waits for the database


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


class Health:
    """What /healthz decides from: a database ping and the time of the last digest tick."""

    def __init__(self, engine: Engine, last_tick: Callable[[], float | None], *,
                 stale_after: float | None, started: float | None = None) -> None:
        self._engine = engine
        self._last_tick = last_tick
        self._stale_after = stale_after  # None: no scheduled rounds, nothing to go stale
        self._started = time.time() if started is None else started

    async def check(self) -> tuple[bool, dict[str, object]]:
        body: dict[str, object] = {}
        try:
            await asyncio.wait_for(asyncio.to_thread(ping, self._engine), DB_TIMEOUT)
            body["database"] = "ok"
        except Exception as exc:  # any failure to answer is "unhealthy", named in the body
            body["database"] = f"error: {metrics.cause(exc)}"
        last = self._last_tick()
        body["last_digest_tick"] = last
        ok = body["database"] == "ok"
        if self._stale_after is not None:
            age = time.time() - (last if last is not None else self._started)
            body["digest_tick_age_seconds"] = round(age, 1)
            if age > self._stale_after:
                ok = False
                body["digests"] = f"no digest tick for {age:.0f} s"
        body["status"] = "ok" if ok else "unhealthy"
        return ok, body


Handler = Callable[[], Awaitable[tuple[int, str, bytes]]]


class HealthServer:
    """GET /healthz and GET /metrics on `port`; anything else is 404."""

    def __init__(self, health: Health, *, host: str = "0.0.0.0", port: int) -> None:  # noqa: S104
        self._health = health
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, self._port)
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self._host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            method, _, rest = request.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
            path = rest.split(" ", 1)[0].split("?", 1)[0]
            status, ctype, body = await self._answer(method, path)
            head = (f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {ctype}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
            writer.write(head.encode("latin-1") + (body if method != "HEAD" else b""))
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
                ConnectionError, UnicodeDecodeError):
            pass  # a half request or a gone client: nothing to answer
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(self, method: str, path: str) -> tuple[int, str, bytes]:
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", b"method not allowed\n"
        if path == "/healthz":
            ok, body = await self._health.check()
            return (200 if ok else 503), "application/json", json.dumps(body).encode() + b"\n"
        if path == "/metrics":
            return 200, metrics.CONTENT_TYPE, await asyncio.to_thread(metrics.render)
        return 404, "text/plain", b"not found (try /healthz or /metrics)\n"


_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}
