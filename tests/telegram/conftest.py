"""A real PTB Application polling a fake Bot API on loopback, reading pages from a FakeSite."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.telegram.app import BotApp, PipelineFactory, build_application
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.runner import fast_limiter, running
from tests.fakes.site import FakeSite


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's coming `RetryAfter.retry_after` type: the old one warns when raised."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once per session (migrating costs ~0.13 s; tests/store covers it)."""
    from bot.store import Store

    path = tmp_path_factory.mktemp("template") / "newsbot.sqlite3"
    Store.open(f"sqlite:///{path}").close()
    return path


@pytest.fixture(autouse=True)
def fresh_database(migrated_sqlite: Path, clean_env: Path) -> None:
    """Each test's NEWSBOT_DATA_DIR starts with its own copy of the migrated database."""
    data = clean_env / "data"
    data.mkdir(exist_ok=True)
    shutil.copyfile(migrated_sqlite, data / "newsbot.sqlite3")


@pytest.fixture
def botapi() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as api:
        yield api


@pytest.fixture
def bot_settings(botapi: FakeBotAPI, site: FakeSite) -> Callable[..., Settings]:
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
def start_bot(bot_settings: Callable[..., Settings]) -> Callable[..., Any]:
    """`async with start_bot(ALLOWED_USERS="1") as app:` — a running bot with these settings."""

    def start(*, pipeline_factory: PipelineFactory | None = None,
              clock: Callable[[], datetime] | None = None, digest_tick: float | None = None,
              **overrides: Any) -> contextlib.AbstractAsyncContextManager[BotApp]:
        # No scheduled rounds unless a test asks: most tests are about one conversation.
        app = build_application(bot_settings(**overrides), pipeline_factory=pipeline_factory,
                                rate_limiter=fast_limiter(), clock=clock,
                                digest_tick=digest_tick)
        return running(app)

    return start
