"""Long polling cannot be scaled out: Telegram serves one poller per bot (a second
`getUpdates` ends the first with 409 Conflict, and the two would keep taking the poll from
each other). A second polling process says so and exits 2; the first goes on."""

from __future__ import annotations

import time
from pathlib import Path

from bot.telegram.app import POLLING_CONFLICT_WINDOW
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.process import BotProcess, newsbot

SAID = "another instance is polling this bot; use webhook mode to run replicas"


def test_a_second_polling_process_says_use_webhooks_and_exits_2(
    tmp_path: Path, botapi: FakeBotAPI
) -> None:
    settings = {"TELEGRAM_BOT_TOKEN": botapi.token, "TELEGRAM_API_URL": botapi.base_url,
                "NEWSBOT_DATA_DIR": str(tmp_path / "data")}
    with BotProcess(cwd=tmp_path, **settings) as first:
        first.wait_for("ready")
        botapi.wait_for_sync(lambda: botapi.calls("getUpdates"), timeout=60)
        # The first one has been polling for a while (two started together could both be
        # "the second" and both stop): a 409 this late is the newcomer's business.
        time.sleep(POLLING_CONFLICT_WINDOW)

        second = newsbot("run", cwd=tmp_path, timeout=180, settings=settings)

        assert second.returncode == 2, second.stderr
        assert f"newsbot: {SAID}" in second.stderr
        assert "Traceback" not in second.stderr
        # The first one still serves the bot.
        botapi.push_message("/start", user_id=5)
        botapi.wait_for_sync(lambda: botapi.sent_to(5), timeout=60)
        assert first.stop() == 0
    assert not any("Traceback" in line for line in first.lines)
