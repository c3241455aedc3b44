"""The one way the repositories talk to the database: short read or write transactions.

Every repository method opens its own unit of work through `Database.read()` or
`Database.write()`, so one Store is safe to share between threads; a method that has to
join another repository's write in one transaction takes the `Session` as an argument.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from bot.store.engine import READ_ONLY


class Database:
    """An engine and its read-only twin, handing out one transaction at a time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read_engine = engine.execution_options(**{READ_ONLY: True})

    @contextmanager
    def write(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self._read_engine, expire_on_commit=False) as session, session.begin():
            yield session

    def insert(self, table: type[Any]) -> Any:
        """A dialect INSERT, for ON CONFLICT clauses (same spelling on both backends)."""
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)


def dml(session: Session, statement: Any) -> CursorResult[Any]:
    """Run INSERT/UPDATE/DELETE as plain Core on the session's connection.

    Through `Session.execute` the ORM adds RETURNING to inserts of mapped classes, and
    the row count (which the claim logic depends on) stops meaning "rows changed".
    """
    return session.connection().execute(statement)


def rowcount(result: CursorResult[Any]) -> int:
    return result.rowcount


def aware(value: datetime | None) -> datetime | None:
    """Treat a naive datetime as UTC (SQLite aggregates and some feeds drop the zone)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
