"""Replicas of one bot for tests/replicas: `newsbot run --webhook-url` processes, the
updates a load balancer hands them, and what they recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from tests.fakes.botapi import FakeBotAPI, auto_entities
from tests.fakes.process import BotProcess

SECRET = "replica-shared-secret"


def deliveries(db: Engine) -> list[tuple[int, str, str]]:
    """(chat, status, worker) of every digest delivery row."""
    with db.connect() as conn:
        rows = conn.execute(text("SELECT chat_id, status, claimed_by FROM digest_deliveries"))
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


class Replica:
    """One `newsbot run --webhook-url` process, listening on a port of its own."""

    def __init__(self, api: FakeBotAPI, port: int, tmp_path: Path, name: str,
                 **settings: str) -> None:
        self.url = f"http://127.0.0.1:{port}/telegram/hook"
        self.api = api
        data = tmp_path / name
        data.mkdir()
        self.process = BotProcess(
            "--webhook-url", self.url, "--listen", "127.0.0.1", "--port", str(port),
            cwd=data, TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_URL=api.base_url,
            TELEGRAM_WEBHOOK_SECRET=SECRET, NEWSBOT_DATA_DIR=str(data / "data"), **settings,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        """Up as a load balancer would see it: started and its webhook registered with
        Telegram (the "ready" line is logged before setWebhook, so an update sent on that
        line alone can find no webhook yet)."""
        self.process.wait_for("ready", timeout=timeout)
        self.api.wait_for_sync(
            lambda: any(c.method.lower() == "setwebhook" and c.status == 200
                        and c.params.get("url") == self.url for c in self.api.history),
            timeout=timeout,
        )

    def send(self, update: dict[str, Any]) -> None:
        """What the load balancer does: this update goes to this replica."""
        assert self.api.deliver_webhook(update, secret=SECRET, to=self.url) == 200

    def __enter__(self) -> Replica:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.__exit__(*exc)

    def kill(self) -> None:
        self.process.proc.kill()
        self.process.proc.wait(timeout=30)


def message(text_: str, *, user: int) -> dict[str, Any]:
    """A private message from `user`, as Telegram posts it to the webhook."""
    person = {"id": user, "is_bot": False, "first_name": "Олена", "language_code": "en"}
    found = auto_entities(text_)
    return {"message": {"message_id": 0, "date": 0, "text": text_, "from": person,
                        "chat": {"id": user, "type": "private", "first_name": "Олена"},
                        **({"entities": found} if found else {})}}
