"""Issue 11 item 1: every bad setting is one stderr line naming it, exit 2, before any network.

Through the real entry point (`python -m bot run`), as an operator following the README
would start it; the fake Bot API records whether Telegram was contacted at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.process import FAKE_TOKEN, REPO, free_port, newsbot


def assert_one_line(done: object, *needles: str) -> str:
    stderr = done.stderr  # type: ignore[attr-defined]
    assert done.returncode == 2, stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_the_readme_first_run_with_the_token_left_empty(tmp_path: Path) -> None:
    shutil.copy(REPO / ".env.example", tmp_path / ".env")
    with FakeBotAPI() as api:
        done = newsbot("run", cwd=tmp_path, TELEGRAM_API_URL=api.base_url)
        assert api.calls("getMe") == []
    line = assert_one_line(done, "TELEGRAM_BOT_TOKEN is not set")
    assert "InvalidToken" not in line and "internal error" not in line


def test_a_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    with FakeBotAPI() as api:
        done = newsbot("run", cwd=tmp_path, TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
                       TELEGRAM_API_URL=api.base_url,
                       NEWSBOT_DATA_DIR=str(tmp_path / "a-file" / "data"))
        assert api.calls("getMe") == []  # checked before Telegram was contacted
    assert_one_line(done, "NEWSBOT_DATA_DIR", "a-file", "cannot be created")


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres_down_is_named_before_telegram_and_the_short_schemes_are_accepted(
    tmp_path: Path, scheme: str,
) -> None:
    port = free_port()  # nothing listens here
    with FakeBotAPI() as api:
        done = newsbot("run", cwd=tmp_path, TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
                       TELEGRAM_API_URL=api.base_url,
                       DATABASE_URL=f"{scheme}://newsbot:hunter2@127.0.0.1:{port}/newsbot")
        assert api.calls("getMe") == []
    line = assert_one_line(done, "DATABASE_URL", "cannot connect", str(port))
    # Mapped to the installed driver (psycopg 3), not psycopg2 or a "postgres" dialect...
    assert "postgresql+psycopg://" in line and "NoSuchModuleError" not in line
    assert "hunter2" not in line  # ...and the password stays out of the message


@pytest.mark.parametrize(("name", "value", "needle"), [
    ("DIGEST_DEFAULT_TIMEZONE", "Mars/Base", "Mars/Base"),
    ("DIGEST_DEFAULT_TIME", "25:00", "25:00"),
    ("DIGEST_DEFAULT_TIME", "eight", "HH:MM"),
    ("LOG_FORMAT", "xml", "json"),
])
def test_bad_digest_defaults_are_refused_before_getme_and_migrations(
    tmp_path: Path, name: str, value: str, needle: str,
) -> None:
    with FakeBotAPI() as api:
        done = newsbot("run", cwd=tmp_path, TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
                       TELEGRAM_API_URL=api.base_url,
                       NEWSBOT_DATA_DIR=str(tmp_path / "data"), settings={name: value})
        assert api.calls("getMe") == []
    assert_one_line(done, f"setting {name}", needle)
    assert not (tmp_path / "data" / "newsbot.sqlite3").exists()  # no migrations ran


def test_an_unreachable_bot_api_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = newsbot("run", cwd=tmp_path, TELEGRAM_BOT_TOKEN=FAKE_TOKEN, TELEGRAM_API_URL=url,
                   NEWSBOT_DATA_DIR=str(tmp_path / "data"))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith("newsbot: error: cannot reach the Telegram Bot API")
    assert f"TELEGRAM_API_URL ({url})" in last
    # Our own retry warnings may precede it; nothing else (no PTB traceback) does.
    others = [line for line in done.stderr.splitlines()[:-1] if "getMe failed" not in line]
    assert others == [], done.stderr


@pytest.mark.parametrize("given", [
    "postgres://u:p@db.example:5432/newsbot", "postgresql://u:p@db.example:5432/newsbot",
])
def test_short_postgres_urls_map_to_the_installed_driver(
    monkeypatch: pytest.MonkeyPatch, given: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert Settings().effective_database_url == "postgresql+psycopg://u:p@db.example:5432/newsbot"


def test_an_empty_database_url_means_sqlite_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "")
    assert Settings().effective_database_url.startswith("sqlite:///")
