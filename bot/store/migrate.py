"""Bring a database to the newest schema with Alembic, configured in code (no alembic.ini),
so it works the same from a checkout and from an installed wheel."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from bot.store.engine import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any constant shared by every newsbot process: serialises concurrent starts on PostgreSQL.
_PG_MIGRATION_LOCK = 0x6E657773  # "news"


def alembic_config() -> Config:
    config = Config()
    # ConfigParser interpolates "%": a path containing one must be escaped.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(database_url: str) -> None:
    """Upgrade the database at `database_url` to the newest schema (blocking; call it from a
    thread in async code). Safe to run from several processes at once."""
    engine = make_engine(database_url)
    try:
        migrate_engine(engine)
    finally:
        engine.dispose()


def migrate_engine(engine: Engine) -> None:
    config = alembic_config()
    # One transaction for the whole upgrade: on SQLite it is BEGIN IMMEDIATE (see
    # engine.py), on PostgreSQL an advisory lock; either way a second process starting at
    # the same moment waits, then finds the schema at head and does nothing.
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
