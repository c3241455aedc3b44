"""Typed handler context: what the running bot holds, made by `Runtime.start`, never at import."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ExtBot

from bot.config import Settings
from bot.coordination import Window
from bot.telegram.admins import ChatAdmins
from bot.telegram.chats import ChatPrefs
from bot.telegram.jobs import LinkJobs

if TYPE_CHECKING:
    from bot.rounds import Digests
    from bot.store import Store
    from bot.summarize.answer import Answerer
    from bot.telegram.delivery import DigestRounds, DigestSender


@dataclass
class Services:
    settings: Settings
    jobs: LinkJobs
    # Links, feed checks and /digest per user (RATE_LIMIT_LINKS per RATE_LIMIT_WINDOW),
    # shared by every replica when REDIS_URL is set.
    user_limit: Window
    # /digest on demand per chat and hour (DIGEST_ON_DEMAND_PER_HOUR).
    digest_limit: Window
    chats: ChatPrefs
    store: Store
    digests: Digests
    sender: DigestSender
    rounds: DigestRounds
    clock: Callable[[], datetime]
    # Questions asked by replying to a summary or digest (bot.telegram.questions).
    answerer: Answerer
    summarizer_name: str = "?"
    # (user, chat) → the day they were last told "not allowed" (told once a day per chat).
    refused: dict[tuple[int, int], date] = field(default_factory=dict)
    # Chats whose /digest is being built and sent, so a second one waits its turn.
    digest_locks: dict[int, asyncio.Lock] = field(default_factory=dict)
    admins: ChatAdmins = field(default_factory=ChatAdmins)


class BotData:
    """`context.bot_data`: one per Application, filled by `Runtime.start` (its post_init)."""

    def __init__(self) -> None:
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("the bot is not started: Runtime.start (post_init) has not run")
        return self._services

    @services.setter
    def services(self, value: Services) -> None:
        self._services = value

    def take(self) -> Services | None:
        """Empty the slot at shutdown, before what the services use is closed."""
        services, self._services = self._services, None
        return services


class BotContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def services(self) -> Services:
        return self.bot_data.services
