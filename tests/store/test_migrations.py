"""Alembic brings an empty database to head on both backends, and the models agree with it."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from bot.config import Settings
from bot.store import Store, head_revision, migrate
from bot.store.engine import make_engine
from bot.store.migrate import current_revision
from tests.fakes.databases import TABLES


def test_migrate_empty_database_reaches_head_with_every_table(empty_database_url: str) -> None:
    migrate(empty_database_url)

    engine = make_engine(empty_database_url)
    try:
        assert current_revision(engine) == head_revision()
        assert set(TABLES) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_models_match_the_migrated_schema(empty_database_url: str) -> None:
    migrate(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_migrate_twice_and_concurrently_is_harmless(empty_database_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def start_a_process() -> None:
        try:
            barrier.wait()
            migrate(empty_database_url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start_a_process) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    migrate(empty_database_url)
    store = Store.open(empty_database_url)
    try:
        assert current_revision(store.engine) == head_revision()
    finally:
        store.close()


def test_default_database_is_an_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(newsbot_data_dir=tmp_path / "nested" / "data")
    store = Store.from_settings(settings)
    try:
        store.chats.upsert(1)
    finally:
        store.close()
    assert (tmp_path / "nested" / "data" / "newsbot.sqlite3").is_file()


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()
    # Plain engines see the same file in WAL mode (the mode is stored in the file).
    plain = create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with plain.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    plain.dispose()
