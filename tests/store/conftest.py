"""Store fixtures: every store test runs on SQLite (a file under tmp_path) and PostgreSQL.

PostgreSQL comes from NEWSBOT_TEST_POSTGRES_URL (default: the local trust-auth server). Each
test module gets its own freshly created database, dropped afterwards; tests that need an
empty database get one of their own. Unreachable server: skip locally, fail under CI.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.config import Settings
from bot.pipeline import Pipeline
from bot.rounds import Digests
from bot.store import Store
from tests.fakes.databases import TABLES, new_pg_database, sqlite_url
from tests.fakes.newsworld import NewsWorld
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.outbox import Outbox

IN_CI = bool(os.environ.get("CI"))

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

@pytest.fixture(scope="module")
def pg_module_url(pg_admin: Engine) -> Iterator[str]:
    with new_pg_database(pg_admin) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to a database nobody has touched yet."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    with new_pg_database(request.getfixturevalue("pg_admin")) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return str(request.getfixturevalue("pg_module_url"))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store with no rows (the PostgreSQL database is shared per module)."""
    opened = Store.open(database_url)
    if opened.engine.dialect.name == "postgresql":
        with opened.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    yield opened
    opened.close()


@pytest.fixture
def other_store(store: Store, database_url: str) -> Iterator[Store]:
    """A second Store on the same database with its own engine: another bot process."""
    opened = Store.open(database_url)
    yield opened
    opened.close()


# --- digest rounds over the store ------------------------------------------------------


@pytest.fixture
def eight() -> datetime:
    """Today's 08:00 UTC, the default digest slot (read per test, not at import)."""
    return datetime.combine(datetime.now(UTC).date(), time(8, 0), tzinfo=UTC)


@pytest.fixture
def news_now(eight: datetime) -> datetime:
    """`world`'s news: subscriptions start now, so the first digest slot is tomorrow 08:00;
    the news is from just before it."""
    return eight + timedelta(days=1, minutes=-30)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


def settings_for(world: NewsWorld, llm: FakeOpenAI | None = None) -> Settings:
    return Settings(
        news_search_feeds=world.templates, fetch_allow_private_hosts=world.allow_hosts,
        fetch_timeout=5, summarizer="llm" if llm else "auto",
        openai_base_url=llm.base_url if llm else None,
    )


MakeDigests = Callable[..., Digests]


@pytest.fixture
async def make_digests(world: NewsWorld, eight: datetime) -> AsyncIterator[MakeDigests]:
    """`make_digests(store, at=...)`: a Digests over the news world, its clock stopped."""
    made: list[Pipeline] = []

    def make(store: Store, *, llm: FakeOpenAI | None = None, at: datetime | None = None,
             world: NewsWorld = world) -> Digests:
        settings = settings_for(world, llm)
        pipeline = Pipeline.build(settings)
        made.append(pipeline)
        stopped = at or eight
        return Digests(settings, pipeline=pipeline, store=store, clock=lambda: stopped)

    yield make
    for pipeline in made:
        await pipeline.aclose()
