"""`newsbot run`: the real process behind a webhook, stopped by SIGTERM.

Polling is exercised in-process by test_bot.py; one real process is enough to check the
command line, the signal handling and the startup log line (each costs seconds of imports).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.telegram.app import ConfigError, build_application
from tests.fakes.botapi import FakeBotAPI

REPO = Path(__file__).resolve().parents[2]


def test_a_missing_token_is_a_clear_config_error() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        build_application(Settings())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def newsbot_run(botapi: FakeBotAPI) -> Iterator[object]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str, **env: str) -> subprocess.Popen[str]:
        environ = {**os.environ, "TELEGRAM_BOT_TOKEN": botapi.token,
                   "TELEGRAM_API_URL": botapi.base_url, "SUMMARIZER": "extractive",
                   "PYTHONPATH": str(REPO), **env}
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", *args], env=environ,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    return err


def test_webhook_checks_the_secret_on_every_request(botapi: FakeBotAPI, newsbot_run) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    proc = newsbot_run("--webhook-url", url, "--listen", "127.0.0.1", "--port", str(port),
                       TELEGRAM_WEBHOOK_SECRET="s3cret-token")
    hook = botapi.wait_for_sync(lambda: botapi.webhook, timeout=60)
    assert hook == {"url": url, "secret_token": "s3cret-token"}
    start = {"message": {"message_id": 0, "date": 0, "text": "/start",
                         "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                         "chat": {"id": 77, "type": "private", "first_name": "Bo"},
                         "from": {"id": 77, "is_bot": False, "first_name": "Bo"}}}
    assert botapi.deliver_webhook(start, secret="wrong") == 403
    assert botapi.deliver_webhook(start) == 200
    (welcome,) = botapi.wait_for_sync(lambda: botapi.sent_to(77), timeout=10)
    assert "Send me a link" in welcome.text
    log = stop(proc)
    assert len(botapi.sent_to(77)) == 1  # the refused request was never handled
    assert "summarizer=extractive" in log and "database=sqlite:///" in log
    assert botapi.token not in log and "s3cret-token" not in log
