"""Wiring: settings → Application with its handlers; what runs is started by `Runtime`."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import Conflict, InvalidToken, NetworkError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.coordination import Coordination
from bot.preflight import ConfigError
from bot.telegram import handlers, questions, topics
from bot.telegram.context import BotContext, BotData
from bot.telegram.delivery import TICK_SECONDS
from bot.telegram.flood import FloodLimiter
from bot.telegram.opml import FeedFiles
from bot.telegram.outgoing import MarkupBot
from bot.telegram.runtime import Clock, PipelineFactory, Runtime

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.MY_CHAT_MEMBER, Update.CALLBACK_QUERY]

BotApp = Application[ExtBot[int], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
STOP_AFTER_START = 0.2  # seconds: a stop signal that came while starting is acted on then
# A 409 this soon after start means this process is the second poller: the one already
# running retries a second after we took its long poll, and takes it back from us. Short,
# so that the one already running (older than this) does not stop too.
POLLING_CONFLICT_WINDOW = 15.0  # seconds
POLLING_CONFLICT = "another instance is polling this bot; use webhook mode to run replicas"


class TelegramRefused(ConfigError):
    """Telegram (or whatever answers at TELEGRAM_API_URL) refused the bot at start.

    The CLI prints the message as is, after "newsbot: "; it names the setting to fix and
    never the token (PTB's own message quotes the token).
    """

    bare_message = True


class StatusRequest(HTTPXRequest):
    """PTB's HTTPX request that remembers the status of the last refused answer.

    PTB maps both 401 (a token Telegram doesn't know) and 404 (a malformed token, or a
    TELEGRAM_API_URL that is not a Bot API) to one `InvalidToken`; the status is what tells
    the operator which setting to fix.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.refused_status: int | None = None

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code in (401, 404):
            self.refused_status = code
        return code, payload


def refusal(settings: Settings, status: int | None) -> TelegramRefused:
    """What to tell the operator when getMe was refused with `status`."""
    if status == 404:
        api = settings.telegram_api_url.rstrip("/")
        return TelegramRefused(
            f"no Telegram Bot API at TELEGRAM_API_URL ({api}): getMe answered HTTP 404 "
            "(check TELEGRAM_API_URL, and that TELEGRAM_BOT_TOKEN looks like 123456:ABC…)"
        )
    return TelegramRefused(f"Telegram rejected TELEGRAM_BOT_TOKEN (HTTP {status or 401})")


class PollingConflict(ConfigError):
    """A second process is polling the same bot (Telegram answers 409 Conflict)."""

    bare_message = True


class NewsbotApplication(BotApp):
    """PTB's Application, stopped once by the first SIGTERM/SIGINT.

    PTB raises SystemExit on *every* stop signal. A second one (`docker stop` after Ctrl-C,
    a SIGTERM to the process group that a wrapper such as `uv run` forwards again) lands in
    the middle of the shutdown and aborts it: the store is never closed, pending tasks are
    destroyed and the event loop is closed under them. Later signals are only noted.
    """

    _stopping = False
    _stop_when_started = False
    _started_at: float | None = None
    polling_conflict = False  # stopped because another process polls this bot

    def _raise_system_exit(self) -> None:  # type: ignore[override]
        if self._stopping:
            log.info("already stopping; finishing the shutdown")
            return
        self._stopping = True
        if not self.running:
            # Still starting (getMe, migrations, deleteWebhook): an exception now would land
            # inside a half-made request and break the shutdown ("no running event loop").
            # Finish starting, then stop.
            self._stop_when_started = True
            return
        raise SystemExit

    async def process_error(self, update: object | None, error: Exception,
                            *args: Any, **kwargs: Any) -> bool:
        if update is None and isinstance(error, Conflict):
            # Only getUpdates answers 409: Telegram serves one poller per bot, and the
            # two would take the long poll from each other forever.
            loop = asyncio.get_running_loop()
            if self._started_at is not None and (
                loop.time() - self._started_at < POLLING_CONFLICT_WINDOW
            ):
                if not self.polling_conflict:
                    self.polling_conflict = True
                    log.error("%s", POLLING_CONFLICT)
                    self.stop_running()
            else:  # we were first: the newcomer stops, we go on
                log.warning("%s (it should stop by itself)", POLLING_CONFLICT)
            return False
        return await super().process_error(update, error, *args, **kwargs)

    async def start(self) -> None:
        await super().start()
        self._started_at = asyncio.get_running_loop().time()
        if self._stop_when_started:
            # Later, not now: the loop must first finish this run_until_complete (its own
            # stop callback is queued) and enter run_forever, where PTB expects SystemExit.
            asyncio.get_running_loop().call_later(STOP_AFTER_START, _exit)


def _exit() -> None:
    raise SystemExit


def build_application(
    settings: Settings,
    *,
    pipeline_factory: PipelineFactory | None = None,
    rate_limiter: BaseRateLimiter[int] | None = None,
    clock: Clock | None = None,
    digest_tick: float | None = TICK_SECONDS,
) -> BotApp:
    """Build the bot; nothing connects until it is initialized and `post_init` runs.

    Handlers are registered at the end, in one list: a new command goes there (and in
    messages.COMMANDS, the bot's menu the start-up sends to Telegram in every language).

    `clock` stands in for the wall clock of digest scheduling (tests freeze it);
    `digest_tick` is the seconds between delivery rounds, None for no scheduled rounds.
    """
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather")
    api = settings.telegram_api_url.rstrip("/")
    shared = coordination(settings)
    runtime = Runtime(settings, shared, pipeline_factory=pipeline_factory, clock=clock,
                      digest_tick=digest_tick)
    # MarkupBot refuses a plain str as HTML (see bot/telegram/outgoing.py); PTB builds only
    # its own ExtBot, so the bot is made here with what the builder would have given it.
    bot: ExtBot[int] = MarkupBot(
        token=settings.telegram_bot_token.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        defaults=Defaults(
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            allow_sending_without_reply=True,
        ),
        # PTB's default pool of 256 connections costs more than it gives: httpcore scans
        # every pooled connection on each request (a third of a digest round's CPU was
        # spent there), and Telegram's 30 msg/s never needs more than a few sockets.
        # Measured against the fake Bot API: 8 connections with 4 digest sends in flight
        # gave 488 msg/s at 1.8 ms CPU each; 16 and 16 gave 350 msg/s at 2.8 ms.
        request=StatusRequest(connection_pool_size=8),
        get_updates_request=HTTPXRequest(connection_pool_size=1),  # the builder's default
        rate_limiter=rate_limiter or FloodLimiter(
            coordination=shared, overall_rate=settings.telegram_send_rate),
    )
    app: BotApp = (
        ApplicationBuilder()
        .bot(bot)
        .application_class(NewsbotApplication)
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        # One slow page must not hold up everyone else's updates.
        .concurrent_updates(True)
        # Start-up and shutdown are the runtime's (bot/telegram/runtime.py): opened in
        # order, closed in reverse, also when a step of the start fails.
        .post_init(runtime.start)
        .post_shutdown(runtime.aclose)
        .build()
    )
    app.add_handler(TypeHandler(Update, handlers.gatekeeper), group=-2)
    app.add_handler(TypeHandler(Update, handlers.remember_chat), group=-1)
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(CommandHandler("lang", handlers.lang))
    app.add_handler(CommandHandler("subscribe", topics.subscribe))
    app.add_handler(CommandHandler("unsubscribe", topics.unsubscribe))
    app.add_handler(CommandHandler("topics", topics.topics))
    app.add_handler(CommandHandler("time", topics.time_command))
    app.add_handler(CommandHandler("digest", topics.digest_now))
    app.add_handler(CommandHandler("forget", topics.forget))
    app.add_handler(CallbackQueryHandler(topics.unsubscribe_button,
                                         pattern=f"^{topics.UNSUBSCRIBE_PREFIX}"))
    app.add_handler(CallbackQueryHandler(topics.forget_button,
                                         pattern=f"^{topics.FORGET_PREFIX}"))
    FeedFiles().register(app)  # /import, /export and files: before links takes every message
    # A reply to one of the bot's summaries or digests is a question about its story.
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.REPLY & ~filters.COMMAND,
                                   questions.ask))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, handlers.links))
    # Last in its group: only a command none of the handlers above took gets here.
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND,
                                   handlers.unknown_command))
    app.add_handler(ChatMemberHandler(handlers.membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(handlers.on_error)
    return app


def run_bot(
    settings: Settings,
    *,
    webhook_url: str | None = None,
    listen: str = "0.0.0.0",  # noqa: S104 - a webhook server listens where it is told
    port: int = 8443,
) -> None:
    """Run until SIGTERM/SIGINT: long polling, or a webhook server when `webhook_url` is set.

    A token Telegram refuses at start raises `TelegramRefused`, whose message names the
    setting to fix (never the token).
    """
    app = build_application(settings)
    try:
        if webhook_url is None:
            # The loop stays open: closing it would put the default SIGTERM action back
            # before the CLI ignores late signals, and one landing then would kill a
            # process that had already stopped cleanly (exit -15 instead of 0).
            app.run_polling(allowed_updates=ALLOWED_UPDATES, close_loop=False)
            if isinstance(app, NewsbotApplication) and app.polling_conflict:
                raise PollingConflict(POLLING_CONFLICT)
            return
        from bot.telegram import webhook

        asyncio.run(webhook.serve(
            app, webhook_url=webhook_url, path=urlsplit(webhook_url).path, listen=listen,
            port=port, secret=webhook_secret(settings), allowed_updates=ALLOWED_UPDATES,
        ))
    except InvalidToken:
        request = app.bot.request
        status = request.refused_status if isinstance(request, StatusRequest) else None
        raise refusal(settings, status) from None
    except NetworkError as exc:
        # Raised only by the start-up getMe (PTB retries polling errors itself): DNS, a
        # refused connection, a proxy, a timeout. One line, not PTB's traceback.
        api = settings.telegram_api_url.rstrip("/")
        raise ConfigError(
            f"cannot reach the Telegram Bot API at TELEGRAM_API_URL ({api}): {exc.message}"
        ) from None


def coordination(settings: Settings) -> Coordination:
    """Memory, or Redis under a prefix per bot: two bots may share one Redis."""
    token = settings.telegram_bot_token
    bot_id = token.get_secret_value().partition(":")[0] if token is not None else ""
    # The id before the colon is public (it is the bot's user id); the rest is the secret.
    return Coordination(settings.redis_url,
                        namespace=f"newsbot:{bot_id if bot_id.isdigit() else 'bot'}")


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, or a random one when it is unset or empty.

    An empty value (`TELEGRAM_WEBHOOK_SECRET=` as copied from .env.example) must not mean
    "no secret": anyone could post updates. setWebhook registers the secret on every start,
    so a fresh one per process works — for one process: replicas must share one.
    """
    secret = settings.telegram_webhook_secret
    value = secret.get_secret_value().strip() if secret is not None else ""
    if not value and settings.redis_url:
        # Replicas: each registers the webhook at start, and the last one's random secret
        # would make every other replica refuse Telegram's updates.
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET is not set: replicas (REDIS_URL is set) must share one "
            "webhook secret"
        )
    if not value:
        log.warning("TELEGRAM_WEBHOOK_SECRET is not set; using a random one for this process")
        return secrets.token_urlsafe(32)
    return value


