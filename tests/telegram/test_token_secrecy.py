"""The bot token never appears in output, whatever Telegram answers and however verbose.

Through the real entry point (`python -m bot -v run`, LOG_LEVEL=DEBUG) against the fake Bot
API: a token it doesn't know (401), and a TELEGRAM_API_URL where no Bot API lives (404).
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.redaction import MASK, Redactor, install
from tests.fakes.botapi import FakeBotAPI

REPO = Path(__file__).resolve().parents[2]
# Shaped like a real token (id, colon, 35 characters), so PTB takes it as one.
KNOWN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX"
UNKNOWN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"


def run_bot(token: str, api_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api_url,
           "SUMMARIZER": "extractive", "LOG_LEVEL": "DEBUG", "PYTHONPATH": str(REPO),
           "NEWSBOT_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-m", "bot", "-v", "run"], env=env,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)


def assert_no_token(token: str, output: str) -> None:
    secret = token.split(":", 1)[1]
    assert token not in output and secret not in output
    assert f"bot{token}" not in output


def test_a_token_telegram_rejects_is_named_by_its_setting_not_printed(tmp_path: Path) -> None:
    with FakeBotAPI(token=KNOWN) as api:
        done = run_bot(UNKNOWN, api.base_url, tmp_path)
        assert [c.status for c in api.calls("getMe")] == [401]
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert done.stderr.splitlines()[-1] == (
        "newsbot: Telegram rejected TELEGRAM_BOT_TOKEN (HTTP 401)"
    )
    assert "DEBUG" in output  # it was verbose, and still nothing leaked
    assert_no_token(UNKNOWN, output)


def test_a_wrong_api_url_names_telegram_api_url_and_keeps_a_valid_token_secret(
    tmp_path: Path,
) -> None:
    with FakeBotAPI(token=KNOWN) as api:
        wrong = api.base_url + "/not-the-bot-api"
        done = run_bot(KNOWN, wrong, tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    last = done.stderr.splitlines()[-1]
    assert last.startswith("newsbot: ") and "TELEGRAM_API_URL" in last and "404" in last
    assert wrong in last
    assert_no_token(KNOWN, output)


def test_the_filter_on_the_root_handlers_masks_records_of_every_logger(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    root = logging.getLogger()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    root.addHandler(handler)
    monkeypatch.setattr(root, "filters", list(root.filters))
    try:
        install([KNOWN])
        # Records of child loggers propagate to the root's handlers without passing the
        # root logger's own filters: the handler's filter is what must catch them.
        child = logging.getLogger("telegram.ext.Application")
        # setLevel, not a plain attribute: it also clears the logger's isEnabledFor cache,
        # which an earlier test may have filled with "DEBUG is off".
        level = child.level
        child.setLevel(logging.DEBUG)
        try:
            child.debug("POST %s/bot%s/getMe", "https://api.telegram.org", KNOWN)
        finally:
            child.setLevel(level)
        try:
            raise RuntimeError(f"The token `{KNOWN}` was rejected by the server.")
        except RuntimeError:
            logging.getLogger("bot.anything").exception("start failed")
    finally:
        root.removeHandler(handler)
    text = out.getvalue()
    assert_no_token(KNOWN, text)
    assert f"bot{MASK}/getMe" in text and "The token `[REDACTED]` was rejected" in text


def test_the_redactor_masks_other_tokens_of_the_same_shape_but_not_ordinary_text() -> None:
    redact = Redactor(["s3cret-webhook"])
    other = "5550001112:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
    assert redact(f"secret s3cret-webhook, token {other}, at 12:30:45") == (
        f"secret {MASK}, token {MASK}, at 12:30:45"
    )
