"""Wiring: settings → Application with handlers; clients made in post_init, closed at shutdown."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.config import Settings
from bot.errors import InputError
from bot.telegram import handlers
from bot.telegram.chats import ChatDataPrefs
from bot.telegram.context import BotContext, BotData, Services
from bot.telegram.flood import FloodLimiter
from bot.telegram.jobs import LinkJobs, LinkSummarizer
from bot.telegram.ratelimit import SlidingWindow

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.MY_CHAT_MEMBER]
COMMANDS = [
    BotCommand("start", "What this bot does"),
    BotCommand("help", "How to use it"),
    BotCommand("lang", "Language of the summaries, e.g. /lang de"),
]

BotApp = Application[ExtBot[int], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
PipelineFactory = Callable[[Settings], LinkSummarizer]


class ConfigError(InputError):
    """The bot cannot start with these settings (the CLI prints the message)."""


def build_application(
    settings: Settings,
    *,
    pipeline_factory: PipelineFactory | None = None,
    rate_limiter: BaseRateLimiter[int] | None = None,
) -> BotApp:
    """Build the bot; nothing connects until it is initialized and `post_init` runs."""
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather")
    api = settings.telegram_api_url.rstrip("/")
    factory = pipeline_factory or _default_pipeline

    async def post_init(app: BotApp) -> None:
        pipeline = factory(settings)
        app.bot_data.services = Services(
            settings=settings,
            jobs=LinkJobs(pipeline, max_concurrent=settings.max_concurrent_jobs),
            user_limit=SlidingWindow(settings.rate_limit_links, settings.rate_limit_window),
            chats=ChatDataPrefs(app.chat_data),
            summarizer_name=_summarizer_name(pipeline),
        )
        await app.bot.set_my_commands(COMMANDS)
        log.info("newsbot @%s ready: summarizer=%s, database=%s, link cache=in-memory",
                 app.bot.username, app.bot_data.services.summarizer_name,
                 _safe_db_url(settings))

    async def post_shutdown(app: BotApp) -> None:
        services = app.bot_data.take()
        if services is not None:
            await services.jobs.pipeline.aclose()

    app: BotApp = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .defaults(Defaults(
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            allow_sending_without_reply=True,
        ))
        # One slow page must not hold up everyone else's updates.
        .concurrent_updates(True)
        .rate_limiter(rate_limiter or FloodLimiter())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.add_handler(TypeHandler(Update, handlers.gatekeeper), group=-1)
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(CommandHandler("lang", handlers.lang))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, handlers.links))
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
    """Run until SIGTERM/SIGINT: long polling, or a webhook server when `webhook_url` is set."""
    app = build_application(settings)
    if webhook_url is None:
        app.run_polling(allowed_updates=ALLOWED_UPDATES)
        return
    secret = settings.telegram_webhook_secret
    if secret is None:
        # setWebhook registers it on every start, so a fresh one per process works.
        token = secrets.token_urlsafe(32)
        log.warning("TELEGRAM_WEBHOOK_SECRET is not set; using a random one for this process")
    else:
        token = secret.get_secret_value()
    app.run_webhook(
        listen=listen,
        port=port,
        url_path=urlsplit(webhook_url).path.lstrip("/"),
        webhook_url=webhook_url,
        secret_token=token,
        allowed_updates=ALLOWED_UPDATES,
    )


def _default_pipeline(settings: Settings) -> LinkSummarizer:
    from bot.pipeline import Pipeline  # heavy (lxml, trafilatura, openai): load at start only

    return Pipeline.build(settings)


def _summarizer_name(pipeline: object) -> str:
    summarizer = getattr(pipeline, "summarizer", None)
    return str(getattr(summarizer, "name", None) or type(pipeline).__name__)


def _safe_db_url(settings: Settings) -> str:
    try:
        return make_url(settings.effective_database_url).render_as_string(hide_password=True)
    except ArgumentError:  # a malformed URL is the store's to report, not the log line's
        return "(unparsable DATABASE_URL)"
