"""Replicas of one bot as operators run them: `newsbot run --webhook-url …` processes on one
PostgreSQL database and one Redis, behind the fake Bot API."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.databases import new_pg_database


@pytest.fixture
def token() -> str:
    """A bot id of its own per test: replicas keep their Redis keys under it, so tests
    running at once (or again) never share a budget."""
    return f"{random.randint(10**8, 10**9 - 1)}:TEST-replicas"


@pytest.fixture
def botapi(token: str) -> Iterator[FakeBotAPI]:
    with FakeBotAPI(token) as api:
        yield api


@pytest.fixture
def database_url(pg_admin: Engine) -> Iterator[str]:
    with new_pg_database(pg_admin) as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()
