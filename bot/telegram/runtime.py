"""What the running bot owns, opened in order at start and closed in reverse at stop.

`build_application` makes one `Runtime` and gives PTB its two ends: `start` is the
Application's post_init, `aclose` its post_shutdown. Each step of `start` that opens
something registers how to close it before the next step runs, so a step that fails (Redis
not answering, a migration refused, setMyCommands refused, METRICS_PORT taken) first closes
what the steps before it opened, newest first, and the start then fails with that step's
error. `aclose` closes whatever is still open, and closing twice is closing once: PTB runs
post_shutdown after a failed post_init too, and tests may shut down twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.cache import SummaryCache
from bot.config import Settings
from bot.coordination import Coordination
from bot.health import Health, HealthServer
from bot.preflight import ConfigError
from bot.telegram import delivery
from bot.telegram.chats import StoreChatPrefs
from bot.telegram.context import Services
from bot.telegram.delivery import DigestRounds, DigestSender
from bot.telegram.handlers import set_commands
from bot.telegram.jobs import LinkJobs

if TYPE_CHECKING:
    from bot.pipeline import Pipeline
    from bot.telegram.app import BotApp

# The start-up and stop lines have always come from bot.telegram.app; log filters know it.
log = logging.getLogger("bot.telegram.app")

PipelineFactory = Callable[[Settings, SummaryCache], "Pipeline"]
Clock = Callable[[], datetime]
FIRST_ROUND_AFTER = 1.0  # seconds after start
HOUSEKEEPING_FIRST = 600.0  # seconds after start


class Runtime:
    """The clients, store, servers and tasks of one running bot, and their order.

    `shared` is made with the bot (its send limiter counts through it) and is this object's
    to close from the moment it is handed over, started or not.
    """

    def __init__(
        self,
        settings: Settings,
        shared: Coordination,
        *,
        pipeline_factory: PipelineFactory | None = None,
        clock: Clock | None = None,
        digest_tick: float | None = delivery.TICK_SECONDS,
    ) -> None:
        self.settings = settings
        self.shared = shared
        self.pipeline_factory = pipeline_factory or _default_pipeline
        self.clock = clock
        self.digest_tick = digest_tick
        self._opened = contextlib.AsyncExitStack()
        self._opened.push_async_callback(shared.aclose)
        self._store_opened = False  # "newsbot stopped" is said only after a store was closed

    async def start(self, app: BotApp) -> None:
        """Open everything in order; on a failure, close what was opened and re-raise."""
        try:
            await self._start(app)
        except BaseException:
            await self.aclose(app)
            raise

    async def aclose(self, app: BotApp | None = None) -> None:
        """Close what is open, newest first (every close runs even if an earlier one fails)."""
        said, self._store_opened = self._store_opened, False
        await self._opened.aclose()
        if said:
            log.info("newsbot stopped")

    async def _start(self, app: BotApp) -> None:
        from bot.rounds import Digests
        from bot.store import Store, StoreSummaryCache
        from bot.store.types import utcnow
        from bot.summarize.answer import Answerer

        settings, opened = self.settings, self._opened
        await check_redis(settings, self.shared)
        # Migrations run here, before any update is handled; a broken database stops the start.
        store = await asyncio.to_thread(Store.from_settings, settings)
        opened.push_async_callback(asyncio.to_thread, store.close)
        self._store_opened = True
        pipeline = self.pipeline_factory(settings, StoreSummaryCache(store))
        opened.push_async_callback(pipeline.aclose)
        digests = Digests(settings, pipeline=pipeline, store=store, clock=self.clock or utcnow)
        sender = DigestSender(app.bot, paid_broadcast=settings.telegram_paid_broadcast)
        opened.push_async_callback(sender.aclose)  # its own HTTP client (telegram/wire.py)
        services = Services(
            settings=settings,
            jobs=LinkJobs(pipeline, max_concurrent=settings.max_concurrent_jobs,
                          deadline=settings.link_job_timeout, flights=self.shared.flights()),
            user_limit=self.shared.window("links", settings.rate_limit_links,
                                          settings.rate_limit_window),
            digest_limit=self.shared.window("digest", settings.digest_on_demand_per_hour, 3600),
            chats=StoreChatPrefs(store),
            store=store,
            digests=digests,
            sender=sender,
            rounds=DigestRounds(digests, sender),
            clock=digests.clock,
            answerer=Answerer.for_summarizer(getattr(pipeline, "summarizer", None),
                                             max_input_tokens=settings.llm_max_input_tokens),
            summarizer_name=_summarizer_name(pipeline),
        )
        app.bot_data.services = services
        # Handlers stop finding the services before the pipeline and store behind them close.
        opened.callback(app.bot_data.take)
        await set_commands(app.bot)  # the menu, in every shipped language
        # A wrong OPENAI_API_KEY would otherwise show only as a fallback note on every link;
        # say it once, at start, without holding the start-up for a slow model server.
        check_key = getattr(getattr(pipeline, "summarizer", None), "check_key", None)
        if check_key is not None:
            # Not app.create_task: the application is not running yet in post_init.
            task = asyncio.create_task(_warn_if_key_rejected(check_key))
            opened.push_async_callback(_cancel, task)
        if settings.metrics_port is not None:
            server = await start_health_server(
                settings.metrics_port, store.engine, services.rounds, self.digest_tick)
            opened.push_async_callback(server.stop)
        # The JobQueue's jobs are PTB's: it stops them (waiting for a running round) in
        # Application.stop, before post_shutdown closes what they use.
        self._schedule(app)
        log.info("newsbot @%s ready: summarizer=%s, database=%s, digests every %s",
                 app.bot.username, services.summarizer_name, _safe_db_url(settings),
                 f"{self.digest_tick:g} s" if self.digest_tick is not None else "(off)")

    def _schedule(self, app: BotApp) -> None:
        if app.job_queue is None:
            return
        if self.digest_tick is not None:
            app.job_queue.run_repeating(
                # `first` is a moment after start: a job added before the scheduler runs
                # with first=0 has its first run dropped by APScheduler (it computes the
                # next fire time after "now" at start), and the first round would wait a
                # whole interval.
                delivery.digest_tick, interval=self.digest_tick, first=FIRST_ROUND_AFTER,
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
        # Daily, first a few minutes after start (not on the start's critical path).
        app.job_queue.run_repeating(
            delivery.housekeeping_tick, interval=delivery.HOUSEKEEPING_SECONDS,
            first=HOUSEKEEPING_FIRST, name="housekeeping",
            job_kwargs={"misfire_grace_time": None, "coalesce": True},
        )


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


async def start_health_server(
    port: int, engine: Any, rounds: DigestRounds, digest_tick: float | None
) -> HealthServer:
    # Unhealthy after three missed ticks (and a minute of slack for a slow round's start).
    stale = None if digest_tick is None else 3 * digest_tick + 60
    server = HealthServer(Health(engine, lambda: rounds.last_tick, stale_after=stale), port=port)
    try:
        await server.start()
    except OSError as exc:  # taken by another process (or a second bot), or not ours to bind
        raise ConfigError(
            f"cannot listen on METRICS_PORT {port}: {exc.strerror or exc}"
        ) from None
    return server


def _default_pipeline(settings: Settings, cache: SummaryCache) -> Pipeline:
    from bot.pipeline import Pipeline  # heavy (lxml, trafilatura, openai): load at start only

    return Pipeline.build(settings, cache=cache)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


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
