"""`newsbot status [--json]` through the real entry point (a subprocess) on a real SQLite file
and on PostgreSQL: database, migrations, chats, topics, the last round, what is due soon."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.store import Store, head_revision
from tests.fakes.cli import newsbot_process
from tests.fakes.databases import PG_URL


def populate(store: Store) -> None:
    """Three chats: one due in 30 minutes, one in 5 hours, one gone; a round with one sent
    digest and one failure."""
    now = datetime.now(UTC)
    store.subscriptions.add(1, "Climate")
    store.subscriptions.add(1, "Київ")
    store.chats.set_schedule(1, (now + timedelta(minutes=30)).time().replace(second=0,
                       microsecond=0), "UTC")
    store.subscriptions.add(2, "North Korea")
    store.chats.set_schedule(2, (now + timedelta(hours=5)).time().replace(second=0, microsecond=0),
                       "UTC")
    store.chats.upsert(3)
    store.chats.set_active(3, False)
    yesterday = (now - timedelta(days=1)).date()
    won = store.deliveries.claim([(1, yesterday), (2, yesterday)], worker="w1")
    assert len(won) == 2
    store.deliveries.finish([(1, yesterday, [])], worker="w1")
    store.deliveries.mark_failed(2, yesterday, "Forbidden: bot was blocked", worker="w1")


def check_status(env: dict[str, str], url_part: str) -> None:
    human = newsbot_process("status", env=env)
    assert human.returncode == 0, human.stderr
    out = human.stdout
    assert url_part in out and "— ok" in out
    assert f"migrations: {head_revision()} — up to date" in out
    assert "chats: 3 (2 active)" in out
    assert "subscriptions: 3" in out
    assert "— failed (1 sent, 1 failed, 0 in progress)" in out
    assert "digests due in the next hour: 1" in out

    as_json = newsbot_process("status", "--json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["database"]["ok"] is True and url_part in report["database"]["url"]
    assert report["migrations"] == {"current": head_revision(), "head": head_revision(),
                                    "up_to_date": True}
    assert report["chats"] == {"total": 3, "active": 2}
    assert report["subscriptions"] == 3
    assert report["last_round"]["sent"] == 1 and report["last_round"]["failed"] == 1
    assert report["last_round"]["result"] == "failed"
    assert report["digests_due_next_hour"] == 1


def test_status_on_sqlite(clean_env: Path) -> None:
    data = clean_env / "data"
    data.mkdir()
    store = Store.open(f"sqlite:///{data / 'newsbot.sqlite3'}")
    try:
        populate(store)
    finally:
        store.close()
    check_status({"NEWSBOT_DATA_DIR": str(data)}, str(data / "newsbot.sqlite3"))


@pytest.fixture
def pg_database() -> Iterator[str]:
    name = f"newsbot_status_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_status_on_postgresql(clean_env: Path, pg_database: str) -> None:
    store = Store.open(pg_database)
    try:
        populate(store)
    finally:
        store.close()
    check_status({"DATABASE_URL": pg_database}, pg_database.rsplit("/", 1)[1])


def test_status_without_a_database_says_so_and_creates_nothing(clean_env: Path) -> None:
    data = clean_env / "data"
    for args in (("status",), ("status", "--json")):
        result = newsbot_process(*args, env={"NEWSBOT_DATA_DIR": str(data)})
        assert result.returncode == 1
        assert "no database file at" in result.stdout
    assert not (data / "newsbot.sqlite3").exists()


def test_status_when_postgresql_does_not_answer(clean_env: Path) -> None:
    result = newsbot_process(
        "status", env={"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    assert result.returncode == 1
    assert "error: operational_error" in result.stdout
    assert "Traceback" not in result.stderr
