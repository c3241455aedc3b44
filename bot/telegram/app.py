"""Wiring: settings → Application with handlers; clients made in post_init, closed at shutdown."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from telegram import BotCommand, LinkPreviewOptions, Update
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

from bot.cache import SummaryCache
from bot.config import Settings
from bot.coordination import Coordination
from bot.health import Health, HealthServer
from bot.preflight import ConfigError
from bot.telegram import delivery, handlers, topics
from bot.telegram.chats import StoreChatPrefs
from bot.telegram.context import BotContext, BotData, Services
from bot.telegram.delivery import TICK_SECONDS, DigestRounds, DigestSender
from bot.telegram.flood import FloodLimiter
from bot.telegram.jobs import LinkJobs
from bot.telegram.opml import FeedFiles
from bot.telegram.outgoing import MarkupBot

if TYPE_CHECKING:
    from bot.pipeline import Pipeline

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.MY_CHAT_MEMBER, Update.CALLBACK_QUERY]
COMMANDS = [
    BotCommand("start", "What this bot does"),
    BotCommand("help", "How to use it"),
    BotCommand("subscribe", "Daily digest of a topic, e.g. /subscribe North Korea"),
    BotCommand("topics", "The topics you follow and when the digest comes"),
    BotCommand("unsubscribe", "Stop following a topic"),
    BotCommand("time", "When the digest comes, e.g. /time 07:30 Europe/Kyiv"),
    BotCommand("digest", "Your digest now"),
    BotCommand("import", "Follow the feeds of an OPML file"),
    BotCommand("export", "Your topics and feeds as an OPML file"),
    BotCommand("lang", "Language of the summaries, e.g. /lang de"),
    BotCommand("forget", "Delete everything stored about this chat"),
]

BotApp = Application[ExtBot[int], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
FIRST_ROUND_AFTER = 1.0  # seconds after start
STOP_AFTER_START = 0.2  # seconds: a stop signal that came while starting is acted on then
# A 409 this soon after start means this process is the second poller: the one already
# running retries a second after we took its long poll, and takes it back from us. Short,
# so that the one already running (older than this) does not stop too.
POLLING_CONFLICT_WINDOW = 15.0  # seconds
POLLING_CONFLICT = "another instance is polling this bot; use webhook mode to run replicas"
HOUSEKEEPING_FIRST = 600.0  # seconds after start
PipelineFactory = Callable[[Settings, SummaryCache], "Pipeline"]
Clock = Callable[[], datetime]


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

    `clock` stands in for the wall clock of digest scheduling (tests freeze it);
    `digest_tick` is the seconds between delivery rounds, None for no scheduled rounds.
    """
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather")
    api = settings.telegram_api_url.rstrip("/")
    factory = pipeline_factory or _default_pipeline
    shared = coordination(settings)
    health_servers: list[HealthServer] = []  # the METRICS_PORT server, once started
    background: set[asyncio.Task[None]] = set()  # start-up checks still running

    async def post_init(app: BotApp) -> None:
        from bot.rounds import Digests
        from bot.store import Store, StoreSummaryCache
        from bot.store.types import utcnow

        await check_redis(settings, shared)
        # Migrations run here, before any update is handled; a broken database stops the start.
        store = await asyncio.to_thread(Store.from_settings, settings)
        try:
            pipeline = factory(settings, StoreSummaryCache(store))
        except BaseException:
            store.close()
            raise
        digests = Digests(settings, pipeline=pipeline, store=store, clock=clock or utcnow)
        sender = DigestSender(app.bot, paid_broadcast=settings.telegram_paid_broadcast)
        app.bot_data.services = Services(
            settings=settings,
            jobs=LinkJobs(pipeline, max_concurrent=settings.max_concurrent_jobs,
                          deadline=settings.link_job_timeout, flights=shared.flights()),
            user_limit=shared.window("links", settings.rate_limit_links,
                                     settings.rate_limit_window),
            digest_limit=shared.window("digest", settings.digest_on_demand_per_hour, 3600),
            chats=StoreChatPrefs(store),
            store=store,
            digests=digests,
            sender=sender,
            rounds=DigestRounds(digests, sender),
            clock=digests.clock,
            summarizer_name=_summarizer_name(pipeline),
        )
        await app.bot.set_my_commands(COMMANDS)
        # A wrong OPENAI_API_KEY would otherwise show only as a fallback note on every link;
        # say it once, at start, without holding the start-up for a slow model server.
        check_key = getattr(getattr(pipeline, "summarizer", None), "check_key", None)
        if check_key is not None:
            # Not app.create_task: the application is not running yet in post_init.
            background.add(asyncio.create_task(_warn_if_key_rejected(check_key)))
        if settings.metrics_port is not None:
            health_servers.append(await start_health_server(
                settings.metrics_port, store.engine, app.bot_data.services.rounds, digest_tick))
        if digest_tick is not None and app.job_queue is not None:
            app.job_queue.run_repeating(
                # `first` is a moment after start: a job added before the scheduler runs
                # with first=0 has its first run dropped by APScheduler (it computes the
                # next fire time after "now" at start), and the first round would wait a
                # whole interval.
                delivery.digest_tick, interval=digest_tick, first=FIRST_ROUND_AFTER,
                name="digests",
                job_kwargs={
                    # The first round runs as soon as the bot starts (digests missed while it
                    # was down go out then), however long start-up took.
                    "misfire_grace_time": None,
                    "coalesce": True,
                    # DigestRounds skips a tick while a round runs, and says so in the log;
                    # APScheduler's own limit of one would only warn.
                    "max_instances": 2,
                },
            )
        if app.job_queue is not None:
            # Daily, first a few minutes after start (not on the start's critical path).
            app.job_queue.run_repeating(
                delivery.housekeeping_tick, interval=delivery.HOUSEKEEPING_SECONDS,
                first=HOUSEKEEPING_FIRST, name="housekeeping",
                job_kwargs={"misfire_grace_time": None, "coalesce": True},
            )
        log.info("newsbot @%s ready: summarizer=%s, database=%s, digests every %s",
                 app.bot.username, app.bot_data.services.summarizer_name,
                 _safe_db_url(settings),
                 f"{digest_tick:g} s" if digest_tick is not None else "(off)")

    async def post_shutdown(app: BotApp) -> None:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        background.clear()
        while health_servers:
            await health_servers.pop().stop()
        services = app.bot_data.take()
        if services is not None:
            try:
                await services.jobs.pipeline.aclose()
            finally:
                await asyncio.to_thread(services.store.close)
            log.info("newsbot stopped")
        await shared.aclose()

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
        .post_init(post_init)
        .post_shutdown(post_shutdown)
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


async def check_redis(settings: Settings, shared: Coordination) -> None:
    """A REDIS_URL that does not answer stops the start (exit 2), named without its password."""
    try:
        await shared.check()
    except Exception as exc:
        where = urlsplit(settings.redis_url or "")
        raise ConfigError(
            f"cannot reach Redis at REDIS_URL ({where.hostname}:{where.port or 6379}): "
            f"{type(exc).__name__}: {exc}"
        ) from None


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


async def start_health_server(
    port: int, engine: Any, rounds: DigestRounds, digest_tick: float | None
) -> HealthServer:
    # Unhealthy after three missed ticks (and a minute of slack for a slow round's start).
    stale = None if digest_tick is None else 3 * digest_tick + 60
    server = HealthServer(Health(engine, lambda: rounds.last_tick, stale_after=stale), port=port)
    await server.start()
    return server


def _default_pipeline(settings: Settings, cache: SummaryCache) -> Pipeline:
    from bot.pipeline import Pipeline  # heavy (lxml, trafilatura, openai): load at start only

    return Pipeline.build(settings, cache=cache)



async def _warn_if_key_rejected(check_key: Callable[[], Awaitable[str | None]]) -> None:
    problem = await check_key()
    if problem is not None:
        log.warning("%s: links get the extractive summary until it is fixed", problem)


def _summarizer_name(pipeline: object) -> str:
    summarizer = getattr(pipeline, "summarizer", None)
    return str(getattr(summarizer, "name", None) or type(pipeline).__name__)


def _safe_db_url(settings: Settings) -> str:
    try:
        return make_url(settings.effective_database_url).render_as_string(hide_password=True)
    except ArgumentError:  # a malformed URL is the store's to report, not the log line's
        return "(unparsable DATABASE_URL)"
