"""The databases tests run on: a SQLite file, and PostgreSQL from NEWSBOT_TEST_POSTGRES_URL.

The fixtures that use these (one PostgreSQL database per store test module, `store`,
`database_url`) are in tests/store/conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

# Read at import time: the autouse clean_env fixture strips NEWSBOT_* before each test.
PG_URL = os.environ.get(
    "NEWSBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

TABLES = (
    "chats",
    "subscriptions",
    "articles",
    "summaries",
    "sent_stories",
    "digest_deliveries",
    "feed_state",
    "reply_messages",
    "reply_stories",
)


@contextmanager
def new_pg_database(admin: Engine) -> Iterator[str]:
    """A new, empty PostgreSQL database for the `with` block, dropped after it."""
    name = f"newsbot_test_{uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_url(directory: Path) -> str:
    # A directory that does not exist yet: the store must create it.
    return f"sqlite:///{directory / 'data' / 'newsbot.sqlite3'}"
