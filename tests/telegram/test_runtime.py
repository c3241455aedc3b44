"""Start-up and shutdown of the real bot (bot/telegram/runtime.py): what a start opened is
closed at stop, and a start that fails part-way closes what it had opened before it fails.

The bot is newsbot's own Application (build_application) against the fake Bot API; its
pipeline is the real one, kept by the factory so the test can see it closed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy.pool import QueuePool
from telegram.error import BadRequest

from bot.cache import SummaryCache
from bot.config import Settings
from bot.pipeline import Pipeline
from bot.preflight import ConfigError
from bot.store import Store, StoreSummaryCache
from bot.telegram.app import BotApp, build_application
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.process import free_port
from tests.fakes.runner import fast_limiter, running
from tests.fakes.site import FakeSite


def pooled(store: Store) -> int:
    """Connections the store's pool keeps open (SQLite files pool like any database)."""
    pool = store.engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedin()


class Kept:
    """The pipeline factory of `newsbot run`, keeping what it was given and made."""

    def __init__(self) -> None:
        self.pipeline: Pipeline | None = None
        self.store: Store | None = None

    def __call__(self, settings: Settings, cache: SummaryCache) -> Pipeline:
        assert isinstance(cache, StoreSummaryCache)
        self.store = cache.store
        # Migrations ran through the store's pool: it holds their connection now.
        assert pooled(self.store) > 0
        self.pipeline = Pipeline.build(settings, cache=cache)
        return self.pipeline


@pytest.fixture
def kept() -> Kept:
    return Kept()


@pytest.fixture
def make_app(bot_settings: Callable[..., Settings], kept: Kept) -> Callable[..., BotApp]:
    def make(**overrides: Any) -> BotApp:
        return build_application(bot_settings(**overrides), pipeline_factory=kept,
                                 rate_limiter=fast_limiter(), digest_tick=None)

    return make


async def assert_closed(app: BotApp, kept: Kept, site: FakeSite) -> None:
    """Nothing the start opened is open: services, pipeline, store, background tasks."""
    with pytest.raises(RuntimeError, match="not started"):
        app.bot_data.services  # noqa: B018 - the property raises once the slot is empty
    assert kept.pipeline is not None and kept.store is not None
    # The pipeline's HTTP client is closed: a fetch is refused, not sent.
    with pytest.raises(RuntimeError, match="closed"):
        await kept.pipeline.fetcher.fetch(site.url("/"))
    assert pooled(kept.store) == 0  # disposed: no connection kept
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []  # the model-key check (and anything else) was not left running


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A port something else listens on and never answers (connections wait in its backlog).

    As the model's address it keeps the start-up key check waiting, so the check is still
    running when the start fails or the bot stops; as METRICS_PORT it is taken.
    """
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))  # where the health server binds
        sock.listen()
        yield int(sock.getsockname()[1])


async def start_failing(app: BotApp) -> BaseException:
    """Initialize `app` and run its start-up, which must fail; shut the Application down.

    Not its post_shutdown: the failed start must have closed what it opened by itself
    (`running` in tests/fakes/runner.py, for one, never gets to post_shutdown then).
    """
    async with app:
        assert app.post_init is not None and app.post_shutdown is not None
        try:
            await app.post_init(app)
        except Exception as exc:
            failure: BaseException = exc
        else:
            raise AssertionError("the start did not fail")
    return failure


def key_check() -> asyncio.Task[Any]:
    """The start-up check of OPENAI_API_KEY, running in the background."""
    (task,) = [t for t in asyncio.all_tasks()
               if getattr(t.get_coro(), "__name__", "") == "_warn_if_key_rejected"]
    return task


def waiting_model(port: int) -> dict[str, Any]:
    return {"summarizer": "llm", "openai_base_url": f"http://127.0.0.1:{port}/v1"}


async def test_a_stop_closes_everything_the_start_opened(
    make_app: Callable[..., BotApp], kept: Kept, site: FakeSite, caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    caplog.set_level(logging.INFO, logger="bot.telegram.app")
    with silent_port() as model:
        app = make_app(metrics_port=port, **waiting_model(model))
        async with running(app):
            assert app.bot_data.services.store is kept.store
            check = key_check()
    await assert_closed(app, kept, site)
    # Stopped by the shutdown, not left to run into the closed model client.
    assert check.cancelled()
    with socket.socket() as sock:  # the health server let go of its port
        sock.bind(("0.0.0.0", port))
    # A second shutdown (PTB's, after ours in some paths) closes nothing twice.
    assert app.post_shutdown is not None
    await app.post_shutdown(app)
    assert [r.message for r in caplog.records].count("newsbot stopped") == 1


async def test_setmycommands_refused_closes_the_store_and_pipeline_it_opened(
    make_app: Callable[..., BotApp], kept: Kept, site: FakeSite, botapi: FakeBotAPI,
) -> None:
    botapi.fail_next("setMyCommands", status=400)
    with silent_port() as model:
        app = make_app(**waiting_model(model))
        failure = await start_failing(app)
    assert isinstance(failure, BadRequest)
    await assert_closed(app, kept, site)


async def test_metrics_port_taken_is_named_and_closes_what_was_opened(
    make_app: Callable[..., BotApp], kept: Kept, site: FakeSite,
) -> None:
    with silent_port() as port:  # taken, and the model's address too
        app = make_app(metrics_port=port, **waiting_model(port))
        failure = await start_failing(app)
    assert isinstance(failure, ConfigError)
    assert f"METRICS_PORT {port}" in str(failure)
    await assert_closed(app, kept, site)


async def test_redis_down_stops_the_start_before_the_database_is_touched(
    make_app: Callable[..., BotApp], kept: Kept, tmp_path: Path,
) -> None:
    port = free_port()  # nothing listens here
    app = make_app(redis_url=f"redis://:hunter2@127.0.0.1:{port}/0",
                   database_url=f"sqlite:///{tmp_path / 'never.sqlite3'}")
    failure = await start_failing(app)
    assert isinstance(failure, ConfigError)
    assert f"cannot reach Redis at REDIS_URL (127.0.0.1:{port})" in str(failure)
    assert "hunter2" not in str(failure)
    assert not (tmp_path / "never.sqlite3").exists()  # checked before migrations
    assert kept.store is None


def connections_to(port: int) -> int:
    """This process's open TCP connections to `port` (Linux: /proc)."""
    mine = set()
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                mine.add(target[len("socket:["):-1])
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            remote_port, state, inode = int(fields[2].rsplit(":", 1)[1], 16), fields[3], fields[9]
            if remote_port == port and state == "01" and inode in mine:  # 01: ESTABLISHED
                count += 1
    return count


async def test_a_stop_closes_the_redis_connections_of_shared_budgets(
    make_app: Callable[..., BotApp], redis_url: str,
) -> None:
    port = urlsplit(redis_url).port or 6379
    before = connections_to(port)
    app = make_app(redis_url=redis_url)
    async with running(app):
        # A user's link budget is counted in Redis: the bot connects to it on first use.
        await app.bot_data.services.user_limit.acquire("1001")
        assert connections_to(port) > before
    assert connections_to(port) == before
