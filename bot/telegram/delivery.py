"""Digests into chats: render and send one, and the minute-by-minute delivery round."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from telegram import Bot, LinkPreviewOptions
from telegram.error import BadRequest, Forbidden, TimedOut
from telegram.ext import ExtBot

from bot import metrics
from bot.errors import RecipientGone
from bot.telegram.context import BotContext
from bot.telegram.digest_render import first_story_url, render_digest
from bot.telegram.markup import Markup, stored, to_plain
from bot.telegram.wire import SendMessage

if TYPE_CHECKING:  # bot.rounds loads the pipeline and the store: at start, not at import
    from bot.rounds import ChatDigest, Digests, RoundReport, Send

log = logging.getLogger(__name__)

TICK_SECONDS = 60.0

# Telegram's answers that mean the chat can't be written to, not that this message was bad.
_GONE = ("chat not found", "user is deactivated", "bot was kicked", "not enough rights",
         "need administrator rights", "have no rights to send")


class DigestSender:
    """Send a `ChatDigest` as HTML messages; a chat that refuses it raises `RecipientGone`.

    Sends go through `SendMessage` (bot/telegram/wire.py): a JSON body on a pooled client,
    paced by the bot's flood limiter, which waits out `RetryAfter`; `via_ptb=True` sends
    through PTB's `send_message` instead (the benchmark's same-run baseline). Any other
    failure propagates: the round marks the delivery failed and a later tick tries again.
    Close with `aclose()`.
    """

    def __init__(self, bot: Bot, *, in_flight: int = 4, paid_broadcast: bool = False,
                 via_ptb: bool = False) -> None:
        self._bot = bot
        # TELEGRAM_PAID_BROADCAST: Telegram lets these past the free 30 messages/s, for Stars.
        self._paid_broadcast = paid_broadcast
        # Digest sends in flight at once: more only queue inside httpx's pool, at a cost
        # in CPU per request, and leave no connection free for users' link replies.
        self._in_flight = asyncio.Semaphore(in_flight)
        self._wire = None if via_ptb or not isinstance(bot, ExtBot) else SendMessage(bot)

    async def aclose(self) -> None:
        if self._wire is not None:
            await self._wire.aclose()

    async def __call__(self, digest: ChatDigest) -> None:
        if digest.chat_id is None:
            raise ValueError("a digest without a chat can't be sent")
        for part in self.render(digest):
            await self.send_part(digest.chat_id, part)

    def render(self, digest: ChatDigest) -> list[dict[str, Any]]:
        """The digest as messages: HTML text, and the link to preview (first part only).

        Plain JSON, because a digest of several parts is saved as rendered: a retry after
        a failed part sends the rest of *this* digest, not a rebuilt one.
        """
        preview = first_story_url(digest)
        return [
            {"text": text, "preview": preview if n == 0 else None}
            for n, text in enumerate(render_digest(digest))
        ]

    async def send_part(self, chat_id: int, part: dict[str, Any]) -> int | None:
        """Send one part; the id of the message it became (None: timed out after sending).

        Only the first story gets a preview; the Defaults disable it elsewhere. Freshly
        rendered, the text is Markup; read back from a saved plan, a str.
        """
        async with self._in_flight:
            return await self._send_now(chat_id, stored(part["text"]), part.get("preview"))

    async def _send_now(self, chat_id: int, text: Markup, preview: str | None) -> int | None:
        try:
            try:
                return await self._send(chat_id, text, preview, html=True)
            except TimedOut as exc:
                if not _may_have_arrived(exc):
                    raise  # never left this machine: the round retries it later
                # The request reached Telegram and only the answer is missing: it has most
                # likely been delivered, and sending it again would be the duplicate
                # readers complain about. A lost digest part is the smaller harm.
                log.warning("digest part for chat %s timed out after it was sent; "
                            "not sending it again", chat_id)
                return None
            except BadRequest as exc:
                if "can't parse entities" not in exc.message.lower():
                    raise
                log.warning("Telegram refused our digest HTML (%s); sending plain text",
                            exc.message)
                return await self._send(chat_id, to_plain(text), preview, html=False)
        except Forbidden as exc:
            raise RecipientGone(exc.message) from exc
        except BadRequest as exc:
            if any(reason in exc.message.lower() for reason in _GONE):
                raise RecipientGone(exc.message) from exc
            raise

    async def _send(self, chat_id: int, text: Markup | str, preview: str | None, *,
                    html: bool) -> int:
        if self._wire is not None:
            return await self._wire(chat_id, text, html=html, preview_url=preview,
                                    paid_broadcast=self._paid_broadcast)
        options: dict[str, Any] = {}
        if self._paid_broadcast:
            options["allow_paid_broadcast"] = True
        if preview:
            options["link_preview_options"] = LinkPreviewOptions(
                url=preview, prefer_small_media=True)
        if not html:
            options["parse_mode"] = None
        message = await self._bot.send_message(chat_id, text, **options)
        return message.message_id


def _may_have_arrived(exc: TimedOut) -> bool:
    """A read or write timeout: the request may have been processed; a connect or pool
    timeout: it never reached Telegram."""
    cause = exc.__cause__
    return not isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout)


class DigestRounds:
    """Run `Digests.run_round` on every tick, never two at once in this process.

    A round that outlasts the tick interval (a slow feed, a thousand chats) makes the next
    ticks return at once instead of piling up; the store's claims keep other processes
    from sending the same digests.
    """

    def __init__(self, digests: Digests, send: Send | DigestSender) -> None:
        self._digests = digests
        self._send = send
        self._lock = asyncio.Lock()
        self.completed = 0  # rounds run to the end, for logs and tests
        self.skipped = 0
        # time.time() when the last tick ended (a round run or a round still running):
        # /healthz calls the bot stuck when this stops moving.
        self.last_tick: float | None = None

    async def tick(self, now: datetime | None = None) -> RoundReport | None:
        """Deliver what is due; None when a round was already running."""
        if self._lock.locked():
            self.skipped += 1
            self.last_tick = time.time()  # alive: the round is busy, not stuck
            log.info("digest round still running; skipping this tick")
            return None
        async with self._lock:
            started = time.monotonic()
            report = await self._digests.run_round(self._send, now=now)
            self.completed += 1
            self.last_tick = time.time()
            took = time.monotonic() - started
            metrics.digest_round(took, due=report.due, sent=report.sent,
                                 failed=report.failed, finished_at=self.last_tick)
            if report.due or report.sent or report.failed:
                # One line per round that did something; the idle minutes stay silent.
                log.info("digest round: %d due, %d sent, %d failed in %.1f s",
                         report.due, report.sent, report.failed, took)
            return report


async def digest_tick(context: BotContext) -> None:
    """The JobQueue callback: one delivery round."""
    await context.services.rounds.tick()


HOUSEKEEPING_SECONDS = 24 * 3600.0


async def housekeeping_tick(context: BotContext) -> None:
    """The daily JobQueue callback: prune the link cache, old sent stories, unused feeds."""
    await context.services.digests.housekeeping()
