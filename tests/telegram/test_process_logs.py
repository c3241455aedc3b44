"""Issue 11 item 4: quiet, useful logs and a clean stop, from the real `newsbot run`.

The bot runs as a child process against the fake Bot API; it is stopped with SIGTERM or
SIGINT (once, or twice as a wrapper forwarding the signal would) after its first digest
tick has run, so APScheduler has had its chance to narrate. The tick is seen on /healthz
(METRICS_PORT), which reports the last one: so the log has one line more, the health
server's address.
"""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.process import FAKE_TOKEN, BotProcess, free_port

UNCLEAN = ("Task was destroyed", "Event loop is closed", "Traceback", "RuntimeError")


def run_and_stop(tmp_path: Path, sig: int, *, twice: bool = False, **settings: str
                 ) -> tuple[int, list[str]]:
    port = free_port()
    with FakeBotAPI() as api, BotProcess(
        cwd=tmp_path, TELEGRAM_BOT_TOKEN=FAKE_TOKEN, TELEGRAM_API_URL=api.base_url,
        NEWSBOT_DATA_DIR=str(tmp_path / "data"), METRICS_PORT=str(port), **settings,
    ) as bot:
        bot.wait_for("ready")
        # Stopped only once the first digest tick has run, so its scheduler lines (if any
        # were let through) would be in the log.
        api.wait_for_sync(lambda: last_digest_tick(port) is not None, timeout=60)
        code = bot.stop(sig, twice=twice)
        return code, bot.lines


def last_digest_tick(port: int) -> float | None:
    """What the bot's /healthz says about its last digest tick (None: none yet)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            body = answer.read()
    except urllib.error.HTTPError as exc:  # 503 while unhealthy still says when it ticked
        body = exc.read()
    except OSError:  # not listening yet
        return None
    tick = json.loads(body).get("last_digest_tick")
    return float(tick) if tick is not None else None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_start_and_a_stop_are_one_line_each_and_clean(tmp_path: Path, sig: int) -> None:
    code, lines = run_and_stop(tmp_path, sig)
    log = "\n".join(lines)
    assert code == 0, log
    for bad in UNCLEAN:
        assert bad not in log
    assert not any("alembic" in line or "apscheduler" in line for line in lines), log
    assert len(lines) == 3, log
    assert "health and metrics on http://" in lines[0]
    assert "INFO bot.telegram.app: newsbot @newsbot_test_bot ready" in lines[1]
    assert lines[2].endswith("newsbot stopped")


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
    assert [r["level"] for r in records] == ["INFO", "INFO", "INFO"]
    assert records[1]["logger"] == "bot.telegram.app"
    assert records[1]["message"].startswith("newsbot @newsbot_test_bot ready")
    assert records[1]["ts"].endswith("+00:00")
