"""`newsbot run`: the real process behind a webhook, stopped by SIGTERM.

Polling is exercised in-process by test_bot.py; one real process is enough to check the
command line, the signal handling and the startup log line (each costs seconds of imports).
"""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.telegram.app import ConfigError, build_application
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.process import NewsbotRun, free_port, stop


def test_a_missing_token_is_a_clear_config_error() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        build_application(Settings())


def test_webhook_checks_the_secret_on_every_request(
    botapi: FakeBotAPI, newsbot_run: NewsbotRun
) -> None:
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
