"""The webhook server: Telegram's updates over HTTPS POST, refused cheaply when not Telegram's.

PTB's built-in webhook handler is a plain tornado handler, so tornado reads a whole request
body (up to its 100 MB default) into memory before the handler looks at the secret header:
eight unauthenticated 95 MB POSTs took the process from 138 MB to over 1 GB. PTB documents
running the Application with a web server of one's own that puts updates on
`application.update_queue`; this is that server. Its handler streams the body
(`tornado.web.stream_request_body`), so `prepare()` sees only the headers: a request without
the right `X-Telegram-Bot-Api-Secret-Token` gets 403, one declaring more than
`MAX_UPDATE_BYTES` gets 413, and the connection is closed without reading the body. A body
sent without a length (chunked) is counted as it arrives and cut off the same way.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer

if TYPE_CHECKING:
    from bot.telegram.app import BotApp

log = logging.getLogger(__name__)

# Telegram's updates are a few KB; the largest (a message with many entities and a long
# reply chain) stay far below this.
MAX_UPDATE_BYTES = 1024 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


@tornado.web.stream_request_body
class UpdateHandler(tornado.web.RequestHandler):
    """POST one update: check the secret and the size on the headers, then read the body."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, app: BotApp, secret: str) -> None:
        self.app = app
        self.secret = secret
        self.chunks: list[bytes] = []
        self.received = 0

    def prepare(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self._refuse(HTTPStatus.FORBIDDEN)
            return
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_UPDATE_BYTES):
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self.received += len(chunk)
        if self.received > MAX_UPDATE_BYTES:  # chunked: no length to check up front
            self.chunks.clear()
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        self.chunks.append(chunk)

    async def post(self) -> None:
        if self._finished:  # refused while the body was arriving
            return
        try:
            data = json.loads(b"".join(self.chunks))
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("webhook: an update that could not be read (%s)", type(exc).__name__)
            self._refuse(HTTPStatus.BAD_REQUEST)
            return
        await self.app.update_queue.put(update)
        self.set_status(HTTPStatus.OK)
        self.finish()

    def _refuse(self, status: HTTPStatus) -> None:
        # Closing after the answer is what spares the unread body: tornado drops a
        # connection whose request finished before it was read to the end.
        self.set_status(status)
        self.set_header("Connection", "close")
        self.finish()

    def log_exception(self, *args: Any) -> None:  # tornado's default logs the request
        log.debug("webhook request failed", exc_info=True)


def make_server(app: BotApp, *, path: str, secret: str) -> HTTPServer:
    routes = [(rf"/{path.strip('/')}/?", UpdateHandler, {"app": app, "secret": secret})]
    web = tornado.web.Application(routes, log_function=lambda handler: None)
    # tornado's own limit is a backstop at the same size (its default is 100 MB).
    return HTTPServer(web, max_body_size=MAX_UPDATE_BYTES)


async def serve(
    app: BotApp,
    *,
    webhook_url: str,
    path: str,
    listen: str,
    port: int,
    secret: str,
    allowed_updates: list[str],
) -> None:
    """Run the bot behind the webhook until SIGINT/SIGTERM (what `run_webhook` does)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.initialize()  # getMe: a refused token raises here
    try:
        if app.post_init is not None:
            await app.post_init(app)
        server = make_server(app, path=path, secret=secret)
        server.listen(port, address=listen)
        try:
            # Listening first: Telegram may post the first update right after setWebhook.
            await app.bot.set_webhook(
                webhook_url, secret_token=secret, allowed_updates=allowed_updates
            )
            await app.start()
            await stop.wait()
            log.info("stopping")
        finally:
            server.stop()
            await server.close_all_connections()
            if app.running:
                await app.stop()
                if app.post_stop is not None:
                    await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
