"""Engines that are safe to share between threads and processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url

# A writer waits this long for another writer before SQLite gives up with "database is
# locked". Writes here are tiny, so a long wait means a stuck process, not contention.
SQLITE_BUSY_TIMEOUT_S = 30.0
WAL_SWITCH_ATTEMPTS = 100  # × 50 ms

# Execution option that marks a read-only unit of work: on SQLite it starts with a plain
# (deferred) BEGIN so readers never queue behind writers; WAL gives them a snapshot.
READ_ONLY = "newsbot_read_only"


def make_engine(database_url: str) -> Engine:
    """An Engine for `database_url`; for SQLite, creates the file's directory first."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    # pre_ping: a long-lived bot outlives server restarts and idle-connection reapers.
    return create_engine(url, pool_pre_ping=True)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (once; the mode is stored in the file).

    Changing the journal mode ignores busy_timeout: two processes creating the database at
    the same moment can get "database is locked" here, so the switch is retried briefly.
    """
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    for attempt in range(WAL_SWITCH_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_SWITCH_ATTEMPTS - 1:
                raise
            time.sleep(0.05)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 module (it would start writes as DEFERRED and
        # then fail to upgrade the lock under contention) and emit our own below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            _use_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front, waiting up to busy_timeout for it. A
        # DEFERRED transaction that reads and then writes can instead hit SQLITE_BUSY at
        # once (no waiting is possible when upgrading a read snapshot), losing the write.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
