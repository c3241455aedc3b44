"""The real bot (PTB Application) polling a fake Bot API, shared by tests/faults and tests/fuzz.

A minimal copy of tests/telegram/conftest.py's harness, so these suites don't break when the
Telegram tests change theirs, plus `settle`: wait until the bot has finished one update.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.config import Settings
from bot.telegram.app import BotApp, PipelineFactory, build_application
from bot.telegram.flood import FloodLimiter
from tests.fakes.botapi import BotMessage, FakeBotAPI
from tests.fakes.runner import running
from tests.fakes.site import FakeSite

StartBot = Callable[..., contextlib.AbstractAsyncContextManager[BotApp]]


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's coming `RetryAfter.retry_after` type: the old one warns when raised."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def botapi() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as api:
        yield api


@pytest.fixture
def start_bot(botapi: FakeBotAPI, site: FakeSite) -> StartBot:
    """`async with start_bot(summarizer="llm") as app:` — a running bot with these settings."""

    def start(*, pipeline_factory: PipelineFactory | None = None,
              **overrides: Any) -> contextlib.AbstractAsyncContextManager[BotApp]:
        values: dict[str, Any] = {
            "telegram_bot_token": botapi.token,
            "telegram_api_url": botapi.base_url,
            "summarizer": "extractive",
            "fetch_allow_private_hosts": [site.host],
            "fetch_timeout": 3.0,
        }
        values.update(overrides)
        # Telegram's real per-chat pace (1/s) would make every reply wait; the flood
        # limiter has its own tests.
        limiter = FloodLimiter(private_chat_rate=1000, backoff=0.01)
        app = build_application(Settings(**values), pipeline_factory=pipeline_factory,
                                rate_limiter=limiter)
        return running(app)

    return start


def answered(api: FakeBotAPI, chat_id: int, n: int = 1) -> Callable[[], list[BotMessage]]:
    """A predicate: the bot's messages in the chat once there are `n` and none says Reading…"""

    def check() -> list[BotMessage]:
        sent = api.sent_to(chat_id)
        if len(sent) >= n and not any(m.text.startswith("Reading ") for m in sent):
            return sent
        return []

    return check


async def settle(api: FakeBotAPI, app: BotApp, update_id: int, timeout: float = 10.0) -> None:
    """Return once the bot has fetched update `update_id` and finished handling it.

    The updater asks getUpdates for `offset > update_id` only after it has queued the update,
    and PTB marks each queued update done when its handlers return: so, both seen, the
    update's replies have all been sent (or it failed).
    """

    def acknowledged() -> bool:
        return any(int(c.params.get("offset") or 0) > update_id for c in api.calls("getUpdates"))

    await api.wait_for(acknowledged, timeout)
    await app.update_queue.join()
