"""Issue 11 item 4: quiet, useful logs and a clean stop, from the real `newsbot run`.

The bot runs as a child process against the fake Bot API; it is stopped with SIGTERM or
SIGINT (once, or twice as a wrapper forwarding the signal would) after its first digest
tick has run, so APScheduler has had its chance to narrate.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.process import FAKE_TOKEN, BotProcess

UNCLEAN = ("Task was destroyed", "Event loop is closed", "Traceback", "RuntimeError")


def run_and_stop(tmp_path: Path, sig: int, *, twice: bool = False, **settings: str
                 ) -> tuple[int, list[str]]:
    with FakeBotAPI() as api, BotProcess(
        cwd=tmp_path, TELEGRAM_BOT_TOKEN=FAKE_TOKEN, TELEGRAM_API_URL=api.base_url,
        NEWSBOT_DATA_DIR=str(tmp_path / "data"), **settings,
    ) as bot:
        bot.wait_for("ready")
        # The first digest tick runs a second after start; let two more seconds pass so its
        # scheduler lines (if any were let through) are in the log.
        api.wait_for_sync(lambda: api.calls("getUpdates"), timeout=30)
        time.sleep(3)
        code = bot.stop(sig, twice=twice)
        return code, bot.lines


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_start_and_a_stop_are_one_line_each_and_clean(tmp_path: Path, sig: int) -> None:
    code, lines = run_and_stop(tmp_path, sig)
    log = "\n".join(lines)
    assert code == 0, log
    for bad in UNCLEAN:
        assert bad not in log
    assert not any("alembic" in line or "apscheduler" in line for line in lines), log
    assert len(lines) == 2, log
    assert "INFO bot.telegram.app: newsbot @newsbot_test_bot ready" in lines[0]
    assert lines[1].endswith("newsbot stopped")


def test_a_second_sigterm_during_the_stop_does_not_abort_it(tmp_path: Path) -> None:
    code, lines = run_and_stop(tmp_path, signal.SIGTERM, twice=True)
    log = "\n".join(lines)
    assert code == 0, log
    for bad in UNCLEAN:
        assert bad not in log
    assert any(line.endswith("newsbot stopped") for line in lines), log  # store closed


def test_log_format_json_is_one_object_per_line(tmp_path: Path) -> None:
    code, lines = run_and_stop(tmp_path, signal.SIGTERM, LOG_FORMAT="json")
    assert code == 0
    records = [json.loads(line) for line in lines]  # every line parses
    assert [r["level"] for r in records] == ["INFO", "INFO"]
    assert records[0]["logger"] == "bot.telegram.app"
    assert records[0]["message"].startswith("newsbot @newsbot_test_bot ready")
    assert records[0]["ts"].endswith("+00:00")
