"""Issue 11 item 1 on a real PostgreSQL: `postgres://` starts the bot; a missing database is
one line naming DATABASE_URL, exit 2, before Telegram is contacted."""

from __future__ import annotations

import signal
from pathlib import Path
from uuid import uuid4

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.databases import PG_URL, new_pg_database
from tests.fakes.process import FAKE_TOKEN, BotProcess, newsbot


def short_form(url: str) -> str:
    """The `postgres://` form hosting panels hand out, for a SQLAlchemy URL."""
    return "postgres://" + url.split("://", 1)[1]


def test_a_postgres_url_in_its_common_form_starts_the_bot(
    pg_admin: Engine, tmp_path: Path,
) -> None:
    with new_pg_database(pg_admin) as url, FakeBotAPI() as api:
        with BotProcess(cwd=tmp_path, TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
                        TELEGRAM_API_URL=api.base_url, DATABASE_URL=short_form(url)) as bot:
            ready = bot.wait_for("ready")
            assert "database=postgresql+psycopg://" in ready
            # Stopped at once, while it may still be starting its polling: still clean.
            assert bot.stop(signal.SIGTERM) == 0, "\n".join(bot.lines)
            assert bot.lines[-1].endswith("newsbot stopped"), "\n".join(bot.lines)
        from bot.store.engine import make_engine

        engine = make_engine(url)
        try:
            assert "chats" in inspect(engine).get_table_names()  # migrated there
        finally:
            engine.dispose()


def test_a_missing_database_is_named_before_telegram(pg_admin: Engine, tmp_path: Path) -> None:
    missing = make_url(PG_URL).set(database=f"newsbot_missing_{uuid4().hex[:8]}")
    url = missing.render_as_string(hide_password=False)
    with FakeBotAPI() as api:
        done = newsbot("run", cwd=tmp_path, TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
                       TELEGRAM_API_URL=api.base_url, DATABASE_URL=short_form(url))
        assert api.calls("getMe") == []
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("newsbot: error: DATABASE_URL (")
    assert f'database "{missing.database}" does not exist' in lines[0]
