"""Checks `newsbot run` makes before it contacts Telegram: the data directory, the database.

Each failure is a `ConfigError` whose message names the setting to fix and what is wrong,
in one line (the CLI prints it and exits 2).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from bot.config import Settings
from bot.errors import InputError


class ConfigError(InputError):
    """The bot cannot start with these settings (the CLI prints the message, exit 2)."""


def check_storage(settings: Settings) -> None:
    if settings.database_url is None:
        check_data_dir(settings.newsbot_data_dir)
    check_database(settings)


def check_data_dir(path: Path) -> None:
    """NEWSBOT_DATA_DIR exists (or can be made) and this process can write in it."""
    try:
        path.expanduser().mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"NEWSBOT_DATA_DIR ({path}) cannot be created: {exc.strerror or exc}"
        ) from None
    if not os.access(path.expanduser(), os.W_OK | os.X_OK):
        raise ConfigError(f"NEWSBOT_DATA_DIR ({path}) is not writable by this user")


def check_database(settings: Settings) -> None:
    """The database answers `SELECT 1` (the server is up, the database exists, we may log in)."""
    from bot.store.engine import make_engine

    url = settings.effective_database_url
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        raise ConfigError("DATABASE_URL is not a database URL (e.g. "
                          "postgresql://user:pass@host/newsbot)") from None
    try:
        engine = make_engine(url)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(f"DATABASE_URL ({shown}): no driver for it ({exc})") from None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise ConfigError(f"DATABASE_URL ({shown}): cannot connect: {_first_line(exc)}") from None
    finally:
        engine.dispose()


def _first_line(exc: SQLAlchemyError) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__
