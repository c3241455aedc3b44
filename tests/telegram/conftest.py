"""The Telegram suite: a migrated database per test, and `newsbot run` as a real process.

The bot harness itself (`botapi`, `bot_settings`, `start_bot`) is shared by every suite:
tests/harness.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.process import NewsbotRun, run_children


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
def newsbot_run(botapi: FakeBotAPI) -> Iterator[NewsbotRun]:
    """`newsbot_run(*args, **settings)`: `newsbot run` as a child process on the fake Bot API;
    whatever is still running at the end of the test is killed."""
    with run_children(botapi.token, botapi.base_url) as start:
        yield start
