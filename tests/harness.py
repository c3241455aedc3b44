"""The real bot (PTB Application) polling the fake Bot API: fixtures and waits for every suite.

Registered for the whole suite by tests/conftest.py (`pytest_plugins`), so tests/telegram,
tests/faults, tests/fuzz and tests/store share one `botapi` and one `start_bot`. Test modules
import the helpers here (`replies`, `settle`, `Frozen`, `follow`, `digests_in`), never each
other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from bot.config import Settings
from bot.i18n import SHIPPED, translator
from bot.store import Store
from bot.telegram import messages
from bot.telegram.app import BotApp, build_application
from bot.telegram.runtime import PipelineFactory
from tests.fakes.botapi import BotMessage, FakeBotAPI
from tests.fakes.runner import fast_limiter, running
from tests.fakes.site import FakeSite

StartBot = Callable[..., contextlib.AbstractAsyncContextManager[BotApp]]
# "Reading example.com…", the status a link gets until it is answered, in every language.
# A digest's title, in every language (a chat's digest is in its language).
DIGEST_TITLES = tuple(translator(lang)(messages.DIGEST_TITLE) for lang in SHIPPED)
READING = tuple(str(translator(lang)(messages.READING)).split("{host}")[0] for lang in SHIPPED)


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's coming `RetryAfter.retry_after` type: the old one warns when raised."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def botapi() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as api:
        yield api


@pytest.fixture
def bot_settings(botapi: FakeBotAPI, site: FakeSite) -> Callable[..., Settings]:
    """`bot_settings(**overrides)`: Settings for a bot on the fake Bot API, reading `site`."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": botapi.token,
            "telegram_api_url": botapi.base_url,
            "summarizer": "extractive",
            "fetch_allow_private_hosts": [site.host],
            "fetch_timeout": 3.0,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def start_bot(bot_settings: Callable[..., Settings]) -> StartBot:
    """`async with start_bot(summarizer="llm") as app:` — a running bot with these settings."""

    def start(*, pipeline_factory: PipelineFactory | None = None,
              clock: Callable[[], datetime] | None = None, digest_tick: float | None = None,
              **overrides: Any) -> contextlib.AbstractAsyncContextManager[BotApp]:
        # No scheduled rounds unless a test asks: most tests are about one conversation.
        app = build_application(bot_settings(**overrides), pipeline_factory=pipeline_factory,
                                rate_limiter=fast_limiter(), clock=clock,
                                digest_tick=digest_tick)
        return running(app)

    return start


def replies(api: FakeBotAPI, chat_id: int, n: int = 1) -> Callable[[], list[BotMessage]]:
    """A predicate: the bot's messages in the chat once there are `n` and none says Reading…"""

    def check() -> list[BotMessage]:
        sent = api.sent_to(chat_id)
        if len(sent) >= n and not any(m.text.startswith(READING) for m in sent):
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


# --- scheduled digests ---------------------------------------------------------------


class Frozen:
    """A clock stopped 10 minutes from now, and a digest slot 5 minutes from now.

    Near real time on purpose: the store stamps subscriptions with the real time, and a
    slot before the first subscription is never caught up on.
    """

    def __init__(self) -> None:
        real_now = datetime.now(UTC).replace(second=0, microsecond=0)
        slot_at = real_now + timedelta(minutes=5)
        self.slot, self.slot_date = slot_at.time(), slot_at.date()
        self.now = real_now + timedelta(minutes=10)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def frozen() -> Frozen:
    return Frozen()


def follow(store: Store, chat_id: int, slot: time) -> None:
    """Subscribe the chat to "North Korea" (a topic of `world`) with its digest at `slot` UTC."""
    store.subscriptions.add(chat_id, "North Korea")
    store.chats.set_schedule(chat_id, slot, "UTC")


def digests_in(api: FakeBotAPI, chat_id: int) -> list[BotMessage]:
    return [m for m in api.sent_to(chat_id) if m.text.startswith(DIGEST_TITLES)]
